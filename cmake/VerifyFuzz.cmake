# libFuzzer harness for the case-file loader (verify/fuzz/). Configure with clang:
#   CXX=clang++ cmake -S . -B build-fuzz -DVERIFY_FUZZ=ON && cmake --build build-fuzz --target fuzz_case_loader
# scripts/fuzz.sh does this and runs it time-boxed. The default (gcc) build never sees clang or these flags.
option(VERIFY_FUZZ "Build the libFuzzer harness fuzz_case_loader (needs clang)" OFF)
if(VERIFY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "VERIFY_FUZZ needs clang++ (libFuzzer); configure with CXX=clang++")
  endif()
  set(_verify_fuzz_flags -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g)
  target_compile_options(verify_lib PRIVATE -fsanitize=fuzzer-no-link ${_verify_fuzz_flags})
  add_executable(fuzz_case_loader "${PROJECT_SOURCE_DIR}/verify/fuzz/fuzz_case_loader.cpp")
  target_link_libraries(fuzz_case_loader PRIVATE verify::lib)
  target_compile_options(fuzz_case_loader PRIVATE -fsanitize=fuzzer ${_verify_fuzz_flags})
  target_link_options(fuzz_case_loader PRIVATE -fsanitize=fuzzer,address,undefined)
  set_target_properties(fuzz_case_loader PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bin")
endif()
