# Builds and runs the consumer against sipevents in one of the ways users take it:
#   MODE=find_package  installed into a scratch prefix, then find_package(sipevents)
#   MODE=header_only   the same, linking sipevents::header-only (no sipevents library)
#   MODE=pkgconfig     installed, then compiled with `pkg-config --cflags --libs sipevents`
#   MODE=subdirectory  add_subdirectory(SOURCE_DIR)
#   MODE=fetchcontent  FetchContent from the git repository at SOURCE_DIR (its HEAD)
if(NOT MODE)
  set(MODE find_package)
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
set(san_flags "")
if(SANITIZE)
  set(san_flags "-fsanitize=${SANITIZE}")
endif()

function(check rc what)
  if(rc)
    message(FATAL_ERROR "${what} failed: ${rc}")
  endif()
endfunction()

set(target sipevents::sipevents)
if(MODE STREQUAL "header_only")
  set(MODE find_package)
  set(target sipevents::header-only)
endif()
if(MODE STREQUAL "find_package" OR MODE STREQUAL "pkgconfig")
  execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix" RESULT_VARIABLE rc)
  check("${rc}" install)
endif()

if(MODE STREQUAL "find_package")
  execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/find_package" -B "${WORK_DIR}/build"
                  -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
                  -DSIPEVENTS_TARGET=${target} "-DCMAKE_EXE_LINKER_FLAGS=${san_flags}" "-DCMAKE_CXX_FLAGS=${san_flags}"
                  RESULT_VARIABLE rc)
  check("${rc}" configure)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" RESULT_VARIABLE rc)
  check("${rc}" build)
  set(exe "${WORK_DIR}/build/consumer")
elseif(MODE STREQUAL "pkgconfig")
  file(GLOB pcdir "${WORK_DIR}/prefix/lib*/pkgconfig" "${WORK_DIR}/prefix/lib/*/pkgconfig")
  set(ENV{PKG_CONFIG_PATH} "${pcdir}")
  execute_process(COMMAND pkg-config --modversion sipevents OUTPUT_VARIABLE version RESULT_VARIABLE rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  check("${rc}" "pkg-config --modversion")
  if(NOT version STREQUAL VERSION)
    message(FATAL_ERROR "pkg-config says ${version}, the project is ${VERSION}")
  endif()
  execute_process(COMMAND pkg-config --cflags --libs sipevents OUTPUT_VARIABLE flags RESULT_VARIABLE rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  check("${rc}" "pkg-config --cflags --libs")
  separate_arguments(flags UNIX_COMMAND "${flags}")
  execute_process(COMMAND ${CXX} -std=c++20 ${san_flags} "${SOURCE_DIR}/tests/find_package/consumer.cpp"
                  -o "${WORK_DIR}/consumer" ${flags} RESULT_VARIABLE rc)
  check("${rc}" "compile with pkg-config flags")
  set(exe "${WORK_DIR}/consumer")
else()
  set(extra "")
  if(MODE STREQUAL "fetchcontent")
    execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse HEAD OUTPUT_VARIABLE commit RESULT_VARIABLE rc
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    check("${rc}" "git rev-parse (FetchContent takes the repository's HEAD)")
    set(extra "-DSIPEVENTS_COMMIT=${commit}")
  endif()
  execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/tests/subproject" -B "${WORK_DIR}/build"
                  -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX} -DHOW=${MODE} -DSIPEVENTS_SOURCE=${SOURCE_DIR}
                  ${extra} "-DCMAKE_EXE_LINKER_FLAGS=${san_flags}" "-DCMAKE_CXX_FLAGS=${san_flags}"
                  RESULT_VARIABLE rc)
  check("${rc}" configure)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" --target consumer RESULT_VARIABLE rc)
  check("${rc}" build)
  set(exe "${WORK_DIR}/build/consumer")
endif()

if(target STREQUAL "sipevents::header-only")
  # Nothing of sipevents may be linked: the definitions came through the headers.
  file(GLOB_RECURSE linked "${WORK_DIR}/build/*.rsp" "${WORK_DIR}/build/build.ninja" "${WORK_DIR}/build/*link.txt")
  foreach(f IN LISTS linked)
    file(READ "${f}" text)
    if(text MATCHES "libsipevents_")
      message(FATAL_ERROR "the header-only consumer links a sipevents library (${f})")
    endif()
  endforeach()
endif()
execute_process(COMMAND "${exe}" RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(rc OR NOT out MATCHES "consumer ok ${VERSION}")
  message(FATAL_ERROR "consumer failed: ${rc} ${out}")
endif()
