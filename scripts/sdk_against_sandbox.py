"""Drives the official TwelveLabs Python SDK against a running `tl sandbox`, as a user of the SDK would.

Run with the interpreter of scripts/sdk-env.sh, with TWELVELABS_BASE_URL and TWELVE_LABS_API_KEY set:
    python scripts/sdk_against_sandbox.py VIDEO
Prints one JSON object of what each step saw; exits 1 (with the step and the error) when a step fails.
Used by tlTests' SDKCompatibilityTests; each step is a place the SDK once failed or could fail.
"""
import json
import os
import shutil
import sys
import tempfile
import time

import httpx
from twelvelabs import TwelveLabs
from twelvelabs.core.api_error import ApiError
from twelvelabs.types import (BatchDefaults, BatchItemRequest, BatchPrompt, BatchVideoContext,
                              VideoContext_AssetId)

seen = {}
step = "start"


def wait(fetch, done, timeout=30):
    deadline = time.time() + timeout
    while True:
        value = fetch()
        if done(value) or time.time() > deadline:
            return value
        time.sleep(0.1)


try:
    client = TwelveLabs(api_key=os.environ["TWELVE_LABS_API_KEY"])
    work = tempfile.mkdtemp()
    video = os.path.join(work, "clip.mp4")  # the SDK writes its chunk files beside the video
    shutil.copyfile(sys.argv[1], video)

    step = "multipart upload_file (chunk PUTs with only Content-Type)"
    uploaded = client.multipart_upload.upload_file(video, max_workers=2)
    seen["asset_id"] = uploaded.asset_id

    step = "assets.retrieve until ready"
    asset = wait(lambda: client.assets.retrieve(uploaded.asset_id), lambda a: a.status in ("ready", "failed"))
    seen["asset_status"] = asset.status

    step = "multipart_upload.get_status of a half-reported session, a chunk a page"
    size = os.path.getsize(video)
    session = client.multipart_upload.create(filename="half.mp4", type="video", total_size=size)
    urls = {u.chunk_index: u.url for u in session.upload_urls}
    reported = []
    with open(video, "rb") as f:
        for index in (1, 2):
            chunk = f.read(session.chunk_size)
            put = httpx.put(urls[index], content=chunk, headers={"Content-Type": "application/octet-stream"})
            put.raise_for_status()
            reported.append({"chunk_index": index, "proof": put.headers["etag"].strip('"'), "proof_type": "etag",
                             "chunk_size": len(chunk)})
    client.multipart_upload.report_chunk_batch(session.upload_id, completed_chunks=reported)
    # The SDK pages through the chunks until a page comes back empty.
    chunks = list(client.multipart_upload.get_status(session.upload_id, page_limit=1))
    seen["total_chunks"] = session.total_chunks
    seen["uploaded_chunks"] = [{"index": c.index, "status": c.status, "has_uploaded_at": c.uploaded_at is not None}
                               for c in chunks]

    step = "analyze_async.tasks.create and retrieve until ready"
    created = client.analyze_async.tasks.create(
        video=VideoContext_AssetId(asset_id=uploaded.asset_id), prompt="What is shown?")
    task = wait(lambda: client.analyze_async.tasks.retrieve(created.task_id), lambda t: t.status in ("ready", "failed", "canceled"))
    seen["task_status"] = task.status
    seen["task_result"] = task.result.data if task.result else None

    step = "analyze_async.tasks.list"
    listed = client.analyze_async.tasks.list()
    seen["listed"] = [t.task_id for t in listed.data]
    seen["listed_total"] = listed.page_info.total_results

    step = "analyze_async.batches.create over the uploaded asset"
    batch = client.analyze_async.batches.create(
        model_name="pegasus1.5", analysis_mode="general",
        defaults=BatchDefaults(prompt=BatchPrompt(input_text="Summarise.")),
        requests=[BatchItemRequest(video=BatchVideoContext(type="asset_id", asset_id=uploaded.asset_id), custom_id=f"item-{n}")
                  for n in range(3)])
    seen["batch_items"] = [item.custom_id for item in batch.items]

    step = "analyze_async.batches.retrieve until completed"
    done = wait(lambda: client.analyze_async.batches.retrieve(batch.batch_id), lambda b: b.status in ("completed", "canceled", "expired"))
    seen["batch_status"] = done.status
    seen["batch_ready_items"] = done.ready_items

    step = "analyze_async.batches.results (JSON Lines)"
    seen["batch_results"] = [{"custom_id": r.custom_id, "status": r.status, "has_data": bool(r.data and r.data.data)}
                             for r in client.analyze_async.batches.results(batch.batch_id)]

    step = "analyze_async.batches.list and delete"
    seen["batches_listed"] = [b.batch_id == batch.batch_id for b in client.analyze_async.batches.list(status="completed")]
    client.analyze_async.batches.delete(batch.batch_id)

    step = "errors decode (nested for tasks, flat for assets)"
    for name, call in [("task", lambda: client.analyze_async.tasks.retrieve("6710f6f6ffffffffffffffff")),
                       ("asset", lambda: client.assets.retrieve("6720a55effffffffffffffff"))]:
        try:
            call()
            seen[name + "_error"] = None
        except ApiError as error:
            seen[name + "_error"] = {"status": error.status_code, "body": error.body}
    print(json.dumps(seen))
except Exception as error:  # noqa: BLE001 - report any failure of the SDK, with the step it happened in
    print(json.dumps({"failed_step": step, "error": f"{type(error).__name__}: {error}", "seen": seen}))
    sys.exit(1)
