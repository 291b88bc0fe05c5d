// FFmpeg's libraries, loaded when the first probe needs them and unloadable again, so a `tl`
// command that never probes (tasks, assets, sandbox, --help) never maps libavcodec and its
// hundred dependencies, and one that probes once can drop them before it uploads.
//
// MediaProbe calls FFmpeg only through the table `vp_ff()` returns, between `vp_ff_acquire` and
// `vp_ff_release`. The field types come from FFmpeg's own declarations (`__typeof__`), so the
// table cannot disagree with the headers it was compiled against.
//
// Linux: dlopen of the sonames that match the headers' major versions (libavformat.so.59 for
// FFmpeg 5.1, .60 for 6, .61 for 7, .62 for 8, .63 for 9; scripts/ffmpeg-matrix.sh tests 7.1 and
// 9.0 besides the host's 5.1), from the system's search path or from the directory named
// by the environment variable VIDEOPREFLIGHT_FFMPEG_DIR, with a runtime version check. macOS: the libraries are
// linked as usual and the table holds their addresses; unloading does nothing there.
#ifndef VIDEOPREFLIGHT_FFMPEG_LOADER_H
#define VIDEOPREFLIGHT_FFMPEG_LOADER_H

#include <stddef.h>
#include <libavformat/avformat.h>
#include <libavformat/version.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>

#if LIBAVFORMAT_VERSION_MAJOR > 60 || (LIBAVFORMAT_VERSION_MAJOR == 60 && LIBAVFORMAT_VERSION_MINOR >= 15)
#define VP_FF_CODED_SIDE_DATA 1
#define VP_FF_SIDE_DATA_FUNCTION(X) X(avcodec, av_packet_side_data_get)
#else
#define VP_FF_CODED_SIDE_DATA 0
#define VP_FF_SIDE_DATA_FUNCTION(X) X(avformat, av_stream_get_side_data)
#endif

/// Every FFmpeg function VideoPreflight calls, with the library that exports it.
#define VP_FF_FUNCTIONS(X) \
    X(avutil, avutil_version) \
    X(avutil, av_log_set_level) \
    X(avutil, av_log_set_callback) \
    X(avutil, av_log_format_line2) \
    X(avutil, av_strerror) \
    X(avutil, av_rescale_q) \
    X(avutil, av_dict_set) \
    X(avutil, av_dict_set_int) \
    X(avutil, av_dict_free) \
    X(avutil, av_frame_alloc) \
    X(avutil, av_frame_unref) \
    X(avutil, av_frame_free) \
    X(avutil, av_display_rotation_get) \
    X(avutil, av_get_pix_fmt_name) \
    X(avutil, av_color_transfer_name) \
    X(avutil, av_malloc) \
    X(avutil, av_free) \
    X(avcodec, avcodec_version) \
    X(avcodec, avcodec_get_class) \
    X(avcodec, avcodec_find_decoder) \
    X(avcodec, avcodec_get_name) \
    X(avcodec, avcodec_alloc_context3) \
    X(avcodec, avcodec_free_context) \
    X(avcodec, avcodec_parameters_to_context) \
    X(avcodec, avcodec_open2) \
    X(avcodec, avcodec_send_packet) \
    X(avcodec, avcodec_receive_frame) \
    X(avcodec, av_packet_alloc) \
    X(avcodec, av_packet_unref) \
    X(avcodec, av_packet_free) \
    X(avformat, avformat_version) \
    X(avformat, avformat_alloc_context) \
    X(avformat, avformat_open_input) \
    X(avformat, avformat_find_stream_info) \
    X(avformat, avformat_close_input) \
    X(avformat, av_find_best_stream) \
    X(avformat, av_read_frame) \
    X(avformat, av_probe_input_buffer2) \
    X(avformat, av_find_input_format) \
    X(avformat, avio_read) \
    X(avformat, avio_seek) \
    X(avformat, av_guess_sample_aspect_ratio) \
    X(avformat, avio_open2) \
    X(avformat, avio_closep) \
    X(avformat, avio_alloc_context) \
    X(avformat, avio_context_free) \
    VP_FF_SIDE_DATA_FUNCTION(X)

/// FFmpeg's functions, each typed exactly as its header declares it.
typedef struct vp_ff_api {
#define VP_FF_FIELD(library, name) __typeof__(name) *_Nonnull name;
    VP_FF_FUNCTIONS(VP_FF_FIELD)
#undef VP_FF_FIELD
} vp_ff_api;

/// Loads the libraries if they are not loaded, installs `log_callback` (at AV_LOG_WARNING) on a
/// fresh load, and pins them until the matching `vp_ff_release`. Returns 0, or -1 with a
/// sentence in `message` (missing library, missing symbol, version other than the headers').
int vp_ff_acquire(void (*_Nullable log_callback)(void *_Nullable, int, const char *_Nullable, va_list _Nullable),
                  char *_Nonnull message, size_t message_size);

/// Ends one `vp_ff_acquire`.
void vp_ff_release(void);

/// The function table; valid only between `vp_ff_acquire` and `vp_ff_release`.
const vp_ff_api *_Nonnull vp_ff(void);

/// Unloads the libraries when no probe holds them. Returns 1 when they were unloaded, 0 when
/// they were not loaded or are in use (or cannot be unloaded on this platform).
int vp_ff_unload_if_idle(void);

/// 1 while the libraries are loaded.
int vp_ff_is_loaded(void);

/// How many times the libraries have been loaded in this process (for tests and diagnostics).
int vp_ff_load_count(void);

/// The stream's display matrix (9 x int32, 16.16 fixed point), or NULL when it has none or the
/// side data is shorter than nine entries. Side data moved from AVStream to
/// codecpar->coded_side_data in libavformat 60.15 (FFmpeg 6.1); av_stream_get_side_data is
/// gone in 8. Only between acquire and release.
const int32_t *_Nullable vp_stream_display_matrix(const AVStream *_Nonnull st);

/// Formats one log call into `line` without FFmpeg's "[ctx @ 0x...]" prefix.
void vp_log_format(void *_Nullable avcl, int level, const char *_Nonnull fmt, va_list vl, char *_Nonnull line, int line_size);

#endif
