#ifndef ZOO_CCURL_SHIM_H
#define ZOO_CCURL_SHIM_H
#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift does not import:
// one typed wrapper per argument kind.
static inline CURLcode zoo_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode zoo_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode zoo_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode zoo_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode zoo_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
typedef size_t (*zoo_curl_data_callback)(char *buffer, size_t size, size_t count, void *context);
static inline CURLcode zoo_curl_setopt_data_callback(CURL *handle, CURLoption option, zoo_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}
typedef int (*zoo_curl_progress_callback)(void *context, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);
static inline CURLcode zoo_curl_setopt_progress_callback(CURL *handle, zoo_curl_progress_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}
static inline CURLcode zoo_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode zoo_curl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode zoo_curl_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

// Macros Swift does not import (casts and or-ed flags), re-exported as constants.
static const long ZOO_CURL_GLOBAL_DEFAULT = CURL_GLOBAL_DEFAULT;
static const size_t ZOO_CURL_READFUNC_ABORT = CURL_READFUNC_ABORT;
static const int ZOO_CURL_ERROR_SIZE = CURL_ERROR_SIZE;
#endif
