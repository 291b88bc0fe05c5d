// The C side of VideoPreflight's FFmpeg binding: the FFmpeg headers MediaProbe needs, plus
// small `vp_`-prefixed helpers for what Swift cannot import (function-like macros) and for
// API that moved between FFmpeg releases. All version branching lives here.
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

/// The stream's display matrix (9 x int32, 16.16 fixed point), or NULL when the stream has none
/// or the side data is shorter than nine 32-bit entries. Side data moved from AVStream to
/// codecpar->coded_side_data in libavformat 61 (FFmpeg 6.1); av_stream_get_side_data is gone in 8.
static inline const int32_t *vp_stream_display_matrix(const AVStream *st) {
#if LIBAVFORMAT_VERSION_MAJOR > 60 || (LIBAVFORMAT_VERSION_MAJOR == 60 && LIBAVFORMAT_VERSION_MINOR >= 15)
    const AVPacketSideData *sd = av_packet_side_data_get(st->codecpar->coded_side_data,
                                                         st->codecpar->nb_coded_side_data,
                                                         AV_PKT_DATA_DISPLAYMATRIX);
    if (sd == NULL || sd->size < 9 * sizeof(int32_t)) return NULL;
    return (const int32_t *)sd->data;
#else
    size_t size = 0;
    const uint8_t *data = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (data == NULL || size < 9 * sizeof(int32_t)) return NULL;
    return (const int32_t *)data;
#endif
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

/// Installs an interrupt callback on an AVIOInterruptCB by value.
static inline AVIOInterruptCB vp_interrupt_cb(int (*callback)(void *), void *opaque) {
    AVIOInterruptCB cb = { callback, opaque };
    return cb;
}

// MARK: logging

/// Formats one log call into `line` (without FFmpeg's "[ctx @ 0x...]" prefix).
static inline void vp_log_format(void *avcl, int level, const char *fmt, va_list vl, char *line, int line_size) {
    int print_prefix = 0;
    av_log_format_line2(avcl, level, fmt, vl, line, line_size, &print_prefix);
}

#endif
