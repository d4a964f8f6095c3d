# C++20 coroutines with Asio (asio::use_awaitable) in our own build.
#
# Asio 1.22 turns co_await on for clang only with libc++'s <experimental/coroutine>;
# Debian's clang 14 with libstdc++ 12 has <coroutine> and works once told so. Every
# unit of the build gets the same definitions (Asio's headers must read alike in all).
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_compile_definitions(ASIO_HAS_CO_AWAIT=1 ASIO_HAS_STD_COROUTINE=1)
endif()

# Sources that write coroutines: GCC 12 warns falsely on Asio's frame allocator
# (-Wmismatched-new-delete), and clang 14's -fsanitize=function cannot emit coroutine
# frames ("Cannot represent a difference across sections").
function(sipevents_coroutine_sources)
  set_property(SOURCE ${ARGN} APPEND PROPERTY COMPILE_OPTIONS "$<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>")
  if(SIPEVENTS_SANITIZE MATCHES "undefined|function")
    set_property(SOURCE ${ARGN} APPEND PROPERTY COMPILE_OPTIONS "$<$<CXX_COMPILER_ID:Clang>:-fno-sanitize=function>")
  endif()
endfunction()
