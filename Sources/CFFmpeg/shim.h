// The C side of VideoPreflight's FFmpeg binding: the FFmpeg headers MediaProbe needs, plus
// small `vp_`-prefixed helpers for what Swift cannot import (function-like macros) and for
// struct fields that moved between FFmpeg releases. Nothing here calls into FFmpeg: the
// libraries are not linked but loaded on demand (CFFmpegLoader), and every call goes through
// its table. Version branches for functions live in vp_ffmpeg_loader.h.
#ifndef VIDEOPREFLIGHT_CFFMPEG_SHIM_H
#define VIDEOPREFLIGHT_CFFMPEG_SHIM_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <libavformat/avformat.h>
#include <libavformat/version.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>

// MARK: error codes (AVERROR(e) and the FFERRTAG constants are macros Swift cannot import)

static inline int vp_averror(int posix_errno) { return AVERROR(posix_errno); }
static inline int vp_averror_eof(void) { return AVERROR_EOF; }
static inline int vp_averror_eagain(void) { return AVERROR(EAGAIN); }

static inline int64_t vp_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational vp_time_base_q(void) { return (AVRational){1, AV_TIME_BASE}; }

// MARK: flags that are macros or changed shape across releases

static inline int vp_error_recognition_explode(void) { return AV_EF_EXPLODE | AV_EF_CRCCHECK | AV_EF_BITSTREAM; }

/// Non-zero when the decoder flagged the frame as corrupt (frame->flags since 5.x; 7.x keeps it).
static inline int vp_frame_is_corrupt(const AVFrame *frame) {
    return (frame->flags & AV_FRAME_FLAG_CORRUPT) != 0 || frame->decode_error_flags != 0;
}

/// Presentation time of a frame: best_effort_timestamp, else pts.
static inline int64_t vp_frame_time(const AVFrame *frame) {
    return frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp : frame->pts;
}

/// Whether the stream is an attached picture (cover art), not a real video stream.
static inline int vp_stream_is_attached_picture(const AVStream *st) {
    return (st->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
}

/// The frame's duration in its stream's time base (`pkt_duration` became `duration` in libavutil 57.30).
static inline int64_t vp_frame_duration(const AVFrame *frame) {
#if LIBAVUTIL_VERSION_MAJOR > 57 || (LIBAVUTIL_VERSION_MAJOR == 57 && LIBAVUTIL_VERSION_MINOR >= 30)
    return frame->duration;
#else
    return frame->pkt_duration;
#endif
}

/// The `opaque` pointer of the codec context a log line came from, or NULL when `avcl` is not a
/// codec context. A frame-threaded decoder logs from its worker threads with copies of the
/// caller's context, which keep its `opaque`: this is how such a line finds its probe.
static inline void *vp_log_codec_opaque(void *avcl, const AVClass *codec_class) {
    if (!avcl || !codec_class || *(const AVClass *const *)avcl != codec_class) return NULL;
    return ((const AVCodecContext *)avcl)->opaque;
}

/// Non-zero when a log line's context `avcl` is an object of the class `cls`.
static inline int vp_log_is_class(void *avcl, const AVClass *cls) {
    return avcl && cls && *(const AVClass *const *)avcl == cls;
}

static inline int vp_packet_flag_key(void) { return AV_PKT_FLAG_KEY; }
static inline int vp_packet_flag_corrupt(void) { return AV_PKT_FLAG_CORRUPT; }
static inline int vp_thread_frame_and_slice(void) { return FF_THREAD_FRAME | FF_THREAD_SLICE; }

/// Installs an interrupt callback on an AVIOInterruptCB by value.
static inline AVIOInterruptCB vp_interrupt_cb(int (*callback)(void *), void *opaque) {
    AVIOInterruptCB cb = { callback, opaque };
    return cb;
}

#endif
