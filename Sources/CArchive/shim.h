#ifndef ZOO_CARCHIVE_SHIM_H
#define ZOO_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

// File-type macros carry casts, so Swift does not import them; re-export them as constants.
static const unsigned int ZOO_AE_IFREG = AE_IFREG;
static const unsigned int ZOO_AE_IFDIR = AE_IFDIR;
static const unsigned int ZOO_AE_IFLNK = AE_IFLNK;
static const unsigned int ZOO_AE_IFMT = AE_IFMT;
#endif
