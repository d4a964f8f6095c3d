# Warning flags for our own targets (never forced on consumers).
function(sipevents_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Wimplicit-fallthrough)
  if(SIPEVENTS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
