# Compiler and linker flags every River target gets: warnings as errors, and the release
# hardening the project promises (_GLIBCXX_ASSERTIONS, _FORTIFY_SOURCE=3, stack protector,
# PIE, full RELRO), optionally with ASan and UBSan.

function(river_harden target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
    -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 misreads Asio's coroutine frame allocator (operator new/delete members of the
    # frame type) as a mismatched pair; the warning is a known false positive there.
    # Likewise GCC 12 reports impossible overlapping copies inside std::string (-Wrestrict,
    # GCC bug 105329).
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete -Wno-restrict)
  endif()
  target_compile_definitions(${target} PUBLIC _GLIBCXX_ASSERTIONS)
  target_compile_options(${target} PRIVATE -fstack-protector-strong -fstack-clash-protection)
  if(NOT RIVER_SANITIZE)
    # FORTIFY needs optimisation and conflicts with ASan's interceptors.
    target_compile_options(${target} PRIVATE -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3)
  endif()
  get_target_property(kind ${target} TYPE)
  if(kind STREQUAL "EXECUTABLE")
    target_link_options(${target} PRIVATE -pie -Wl,-z,relro,-z,now)
  endif()
  if(RIVER_SANITIZE)
    # ASan's instrumentation makes GCC's flow analysis report uninitialised reads that
    # cannot happen (std::optional<std::string> members); the release build keeps the check.
    target_compile_options(${target} PUBLIC -fsanitize=address,undefined -fno-omit-frame-pointer
      -fno-sanitize-recover=undefined -Wno-maybe-uninitialized)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()
