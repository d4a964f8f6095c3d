// Build switches of the library, shared by every layer.
#pragma once

/// SIPEVENTS_HEADER_ONLY (defined by the consumer, or by linking the
/// sipevents::header-only target) brings each layer's definitions in through its
/// headers (the impl/*.ipp files), as FMT_HEADER_ONLY does for fmt: nothing of
/// sipevents is linked then, only the libraries it uses (OpenSSL, SQLite, ...).
/// Without it the definitions are compiled once, into the sipevents_* libraries.
#ifdef SIPEVENTS_HEADER_ONLY
#define SIPEVENTS_INLINE inline
#else
#define SIPEVENTS_INLINE
#endif

/// Around each impl/*.ipp: its helpers sit in an anonymous namespace, which GCC
/// reports (-Wsubobject-linkage) once the definitions are in a header rather than
/// in the file being compiled, and which a header-only unit may leave unused.
#if defined(__GNUC__) && !defined(__clang__)
#define SIPEVENTS_IMPL_BEGIN                                         \
  _Pragma("GCC diagnostic push")                                     \
  _Pragma("GCC diagnostic ignored \"-Wsubobject-linkage\"")          \
  _Pragma("GCC diagnostic ignored \"-Wunused-function\"")
#define SIPEVENTS_IMPL_END _Pragma("GCC diagnostic pop")
#elif defined(__clang__)
#define SIPEVENTS_IMPL_BEGIN \
  _Pragma("clang diagnostic push") _Pragma("clang diagnostic ignored \"-Wunused-function\"")
#define SIPEVENTS_IMPL_END _Pragma("clang diagnostic pop")
#else
#define SIPEVENTS_IMPL_BEGIN
#define SIPEVENTS_IMPL_END
#endif
