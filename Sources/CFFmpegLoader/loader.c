#include "vp_ffmpeg_loader.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if !defined(__APPLE__)
#include <dlfcn.h>
#endif

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static vp_ff_api table;
static int loaded = 0;
static int holders = 0;
static int loads = 0;

#if defined(__APPLE__)
// Linked at build time: the table holds the functions' own addresses.
static int load_libraries(char *message, size_t message_size) {
    (void)message; (void)message_size;
#define VP_FF_TAKE(library, name) table.name = name;
    VP_FF_FUNCTIONS(VP_FF_TAKE)
#undef VP_FF_TAKE
    return 0;
}
static void unload_libraries(void) {}
static const int can_unload = 0;
#else
#define VP_STR2(x) #x
#define VP_STR(x) VP_STR2(x)
static void *handle_avutil, *handle_avcodec, *handle_avformat;

static void close_handles(void) {
    // Dependants first: avformat needs avcodec, both need avutil.
    if (handle_avformat) dlclose(handle_avformat);
    if (handle_avcodec) dlclose(handle_avcodec);
    if (handle_avutil) dlclose(handle_avutil);
    handle_avformat = handle_avcodec = handle_avutil = NULL;
}

/// `soname` from the directory in VIDEOPREFLIGHT_FFMPEG_DIR when it is set (an FFmpeg in its own
/// prefix), else from the system's library search path. Only the three libraries come from that
/// directory: their own dependencies (libswresample, codec libraries) are found as usual, so an
/// FFmpeg in its own prefix also needs that directory in LD_LIBRARY_PATH or in the libraries' rpath.
static void *open_library(const char *soname, char *message, size_t message_size) {
    char path[4096];
    const char *directory = getenv("VIDEOPREFLIGHT_FFMPEG_DIR");
    const char *name = soname;
    if (directory != NULL && directory[0] != '\0') {
        int length = snprintf(path, sizeof path, "%s/%s", directory, soname);
        if (length < 0 || (size_t)length >= sizeof path) {
            snprintf(message, message_size, "VIDEOPREFLIGHT_FFMPEG_DIR is too long");
            return NULL;
        }
        name = path;
    }
    void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *why = dlerror();
        snprintf(message, message_size, "FFmpeg's %s could not be loaded (%s); install FFmpeg's shared libraries "
                 "(Debian/Ubuntu: the libavformat, libavcodec and libavutil packages, which the -dev packages pull in)",
                 name, why ? why : "no reason given");
    }
    return handle;
}

/// Same major version as the headers, and at least their minor: struct fields this build reads
/// must exist in the library it runs with.
static int check_version(const char *name, unsigned runtime, unsigned major, unsigned minor, char *message, size_t message_size) {
    if ((runtime >> 16) == major && ((runtime >> 8) & 0xFF) >= minor) return 0;
    snprintf(message, message_size, "%s %u.%u.%u is loaded, but this build needs %u.%u or a later %u.x",
             name, runtime >> 16, (runtime >> 8) & 0xFF, runtime & 0xFF, major, minor, major);
    return -1;
}

static int load_libraries(char *message, size_t message_size) {
    handle_avutil = open_library("libavutil.so." VP_STR(LIBAVUTIL_VERSION_MAJOR), message, message_size);
    if (handle_avutil == NULL) goto fail;
    handle_avcodec = open_library("libavcodec.so." VP_STR(LIBAVCODEC_VERSION_MAJOR), message, message_size);
    if (handle_avcodec == NULL) goto fail;
    handle_avformat = open_library("libavformat.so." VP_STR(LIBAVFORMAT_VERSION_MAJOR), message, message_size);
    if (handle_avformat == NULL) goto fail;
#define VP_FF_LOOK_UP(library, name) \
    { \
        void *symbol = dlsym(handle_##library, #name); \
        if (symbol == NULL) { \
            snprintf(message, message_size, "FFmpeg's lib" #library " has no function " #name); \
            goto fail; \
        } \
        memcpy(&table.name, &symbol, sizeof symbol); \
    }
    // The versions first: a library of the wrong version is named as such, not as a missing function.
    VP_FF_LOOK_UP(avutil, avutil_version)
    VP_FF_LOOK_UP(avcodec, avcodec_version)
    VP_FF_LOOK_UP(avformat, avformat_version)
    if (check_version("libavutil", table.avutil_version(), LIBAVUTIL_VERSION_MAJOR, LIBAVUTIL_VERSION_MINOR, message, message_size) ||
        check_version("libavcodec", table.avcodec_version(), LIBAVCODEC_VERSION_MAJOR, LIBAVCODEC_VERSION_MINOR, message, message_size) ||
        check_version("libavformat", table.avformat_version(), LIBAVFORMAT_VERSION_MAJOR, LIBAVFORMAT_VERSION_MINOR, message, message_size))
        goto fail;
    VP_FF_FUNCTIONS(VP_FF_LOOK_UP)
#undef VP_FF_LOOK_UP
    return 0;
fail:
    close_handles();
    memset(&table, 0, sizeof table);
    return -1;
}

static void unload_libraries(void) {
    close_handles();
    memset(&table, 0, sizeof table);
}
static const int can_unload = 1;
#endif

int vp_ff_acquire(void (*log_callback)(void *, int, const char *, va_list), char *message, size_t message_size) {
    pthread_mutex_lock(&lock);
    if (!loaded) {
        if (load_libraries(message, message_size) != 0) {
            pthread_mutex_unlock(&lock);
            return -1;
        }
        loaded = 1;
        loads += 1;
        // Lines above WARNING (info, verbose, debug) are never even formatted.
        table.av_log_set_level(AV_LOG_WARNING);
        if (log_callback) table.av_log_set_callback(log_callback);
    }
    holders += 1;
    pthread_mutex_unlock(&lock);
    return 0;
}

void vp_ff_release(void) {
    pthread_mutex_lock(&lock);
    if (holders > 0) holders -= 1;
    pthread_mutex_unlock(&lock);
}

const vp_ff_api *vp_ff(void) { return &table; }

int vp_ff_unload_if_idle(void) {
    int unloaded = 0;
    pthread_mutex_lock(&lock);
    if (loaded && holders == 0 && can_unload) {
        unload_libraries();
        loaded = 0;
        unloaded = 1;
    }
    pthread_mutex_unlock(&lock);
    return unloaded;
}

int vp_ff_is_loaded(void) {
    pthread_mutex_lock(&lock);
    int result = loaded;
    pthread_mutex_unlock(&lock);
    return result;
}

int vp_ff_load_count(void) {
    pthread_mutex_lock(&lock);
    int result = loads;
    pthread_mutex_unlock(&lock);
    return result;
}

const int32_t *vp_stream_display_matrix(const AVStream *st) {
#if VP_FF_CODED_SIDE_DATA
    const AVPacketSideData *sd = table.av_packet_side_data_get(st->codecpar->coded_side_data,
                                                               st->codecpar->nb_coded_side_data,
                                                               AV_PKT_DATA_DISPLAYMATRIX);
    if (sd == NULL || sd->size < 9 * sizeof(int32_t)) return NULL;
    return (const int32_t *)sd->data;
#else
    size_t size = 0;
    const uint8_t *data = table.av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (data == NULL || size < 9 * sizeof(int32_t)) return NULL;
    return (const int32_t *)data;
#endif
}

void vp_log_format(void *avcl, int level, const char *fmt, va_list vl, char *line, int line_size) {
    int print_prefix = 0;
    table.av_log_format_line2(avcl, level, fmt, vl, line, line_size, &print_prefix);
}
