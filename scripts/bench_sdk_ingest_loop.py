"""What a user would otherwise write with the official TwelveLabs Python SDK: for each file, one base64 task,
polled until it is finished, one file after another. Prints {"files", "ready", "seconds"}.

    TWELVELABS_BASE_URL=... TWELVE_LABS_API_KEY=... python bench_sdk_ingest_loop.py FOLDER
"""
import base64
import json
import os
import sys
import time

from twelvelabs import TwelveLabs
from twelvelabs.types import VideoContext_Base64String

client = TwelveLabs(api_key=os.environ["TWELVE_LABS_API_KEY"])
folder = sys.argv[1]
started = time.monotonic()
ready = 0
names = sorted(os.listdir(folder))
for name in names:
    with open(os.path.join(folder, name), "rb") as f:
        encoded = base64.b64encode(f.read()).decode()
    created = client.analyze_async.tasks.create(video=VideoContext_Base64String(base_64_string=encoded), prompt="Summarise the video.")
    while True:
        task = client.analyze_async.tasks.retrieve(created.task_id)
        if task.status in ("ready", "failed", "canceled"):
            ready += task.status == "ready"
            break
        time.sleep(0.1)
print(json.dumps({"files": len(names), "ready": ready, "seconds": time.monotonic() - started}))
