# V8 for the WASM plugin host: Debian 12's libnode108 / libnode-dev (Node 18, V8 10.2), unpacked
# into third_party/libnode by scripts/fetch-libnode.sh rather than installed, because a newer
# nodejs from another source may conflict with libnode-dev and bring other V8 headers into
# /usr/include/node. We compile against exactly the unpacked headers and link the unpacked
# library, found at run time through the rpath CMake records for it.
#
# Defines the imported target river::v8, or fails configuration with the command to run.

set(RIVER_LIBNODE_DIR "${CMAKE_SOURCE_DIR}/third_party/libnode" CACHE PATH
  "Where scripts/fetch-libnode.sh unpacked libnode108 and libnode-dev")
set(libnode_include "${RIVER_LIBNODE_DIR}/usr/include/node")
set(libnode_library "${RIVER_LIBNODE_DIR}/usr/lib/x86_64-linux-gnu/libnode.so.108")

if(NOT EXISTS "${libnode_include}/v8.h" OR NOT EXISTS "${libnode_library}")
  message(STATUS "libnode not found in ${RIVER_LIBNODE_DIR}; running scripts/fetch-libnode.sh")
  execute_process(
    COMMAND bash "${CMAKE_SOURCE_DIR}/scripts/fetch-libnode.sh" "${RIVER_LIBNODE_DIR}"
    RESULT_VARIABLE fetch_result)
  if(NOT fetch_result EQUAL 0 OR NOT EXISTS "${libnode_include}/v8.h")
    message(FATAL_ERROR "V8 headers missing: run `bash scripts/install-deps.sh` "
      "(or scripts/fetch-libnode.sh), or configure with -DRIVER_WASM=OFF")
  endif()
endif()

add_library(river::v8 SHARED IMPORTED)
set_target_properties(river::v8 PROPERTIES
  IMPORTED_LOCATION "${libnode_library}"
  IMPORTED_SONAME "libnode.so.108"
  # SYSTEM: V8's headers are not ours to keep warning-free under -Wpedantic -Werror.
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${libnode_include}"
  INTERFACE_INCLUDE_DIRECTORIES "${libnode_include}")
# libnode's V8 is built without pointer compression and without the sandbox
# (config.gypi: v8_enable_pointer_compression=0, v8_enable_31bit_smis_on_64bit_arch=0), so none
# of V8_COMPRESS_POINTERS, V8_31BIT_SMIS_ON_64BIT_ARCH, V8_ENABLE_SANDBOX may be defined: a
# mismatch aborts in V8::Initialize. Fail early if someone adds them.
foreach(define IN ITEMS V8_COMPRESS_POINTERS V8_31BIT_SMIS_ON_64BIT_ARCH V8_ENABLE_SANDBOX)
  if(CMAKE_CXX_FLAGS MATCHES "${define}")
    message(FATAL_ERROR "${define} must not be defined: libnode's V8 is built without it")
  endif()
endforeach()
