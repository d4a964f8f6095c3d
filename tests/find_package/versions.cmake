# Every bundled tool answers --version with "NAME VERSION" and exit 0.
foreach(tool notifier watcher publish message welcome lint)
  execute_process(COMMAND "${BIN}/sipevents-${tool}" --version RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(rc OR NOT out STREQUAL "sipevents-${tool} ${VERSION}")
    message(FATAL_ERROR "sipevents-${tool} --version: ${rc} '${out}'")
  endif()
endforeach()
