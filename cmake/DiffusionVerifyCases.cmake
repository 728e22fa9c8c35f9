# verify_add_cases(<case file or folder>... [LABELS <label>...] [ALPHA <a>] [SEED <s>] [THREADS <n>] [PLOTS])
#
# One CTest test per case file, the same for this repository's own cases and for any project that calls
# find_package(DiffusionVerify):
#   name    case.<file stem>                  (cases/kl/kl_1d.toml -> case.kl_1d; `ctest -R case.kl_1d` reruns it)
#   labels  claim;<folder of the file>;LABELS (`ctest -L <folder>` runs one family)
#   command verify run <file> --out <build tree>/case-reports/<stem> --threads <n> --no-plots [--alpha] [--seed]
#   result  passes when verify exits 0 (every form's verdict equals the case's [expect]); exit 1 = a verdict differs
#           (the output says which: "MISMATCH <case> [<form>]: verdict ... but expected ..."), 2 = bad input.
# A folder is searched recursively for *.toml, skipping mixtures/ and schedules/ below it (shared data, not cases),
# as `verify run <folder>` does. Relative arguments are relative to the calling CMakeLists.txt. THREADS defaults to 2;
# ALPHA (the run's family-wise false-alarm rate) and SEED default to verify's own (1e-3, each case's seed); PLOTS
# draws the gnuplot figures too (needs gnuplot). The report of each test is written under the caller's build folder.
include_guard(GLOBAL)

function(verify_add_cases)
  cmake_parse_arguments(PARSE_ARGV 0 arg "PLOTS" "ALPHA;SEED;THREADS" "LABELS")
  if(NOT arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "verify_add_cases: give at least one case file or folder")
  endif()
  if(NOT TARGET DiffusionVerify::verify)
    message(FATAL_ERROR "verify_add_cases: no target DiffusionVerify::verify (call find_package(DiffusionVerify) first)")
  endif()
  if(NOT DEFINED arg_THREADS)
    set(arg_THREADS 2)
  endif()
  set(options --threads ${arg_THREADS})
  if(NOT arg_PLOTS)
    list(APPEND options --no-plots)
  endif()
  if(DEFINED arg_ALPHA)
    list(APPEND options --alpha ${arg_ALPHA})
  endif()
  if(DEFINED arg_SEED)
    list(APPEND options --seed ${arg_SEED})
  endif()

  set(files "")
  foreach(arg IN LISTS arg_UNPARSED_ARGUMENTS)
    cmake_path(ABSOLUTE_PATH arg BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" NORMALIZE OUTPUT_VARIABLE path)
    if(IS_DIRECTORY "${path}")
      file(GLOB_RECURSE found CONFIGURE_DEPENDS "${path}/*.toml")
      list(SORT found)
      set(n 0)
      foreach(f IN LISTS found)
        file(RELATIVE_PATH below "${path}" "${f}")
        if(NOT "/${below}" MATCHES "/(mixtures|schedules)/")
          list(APPEND files "${f}")
          math(EXPR n "${n} + 1")
        endif()
      endforeach()
      if(n EQUAL 0)
        message(FATAL_ERROR "verify_add_cases: ${path} contains no case files (*.toml outside mixtures/, schedules/)")
      endif()
    elseif(EXISTS "${path}")
      list(APPEND files "${path}")
    else()
      message(FATAL_ERROR "verify_add_cases: no case file or folder ${path}")
    endif()
  endforeach()

  foreach(f IN LISTS files)
    cmake_path(GET f STEM LAST_ONLY stem)  # as verify names the case (std::filesystem::path::stem)
    cmake_path(GET f PARENT_PATH dir)
    cmake_path(GET dir FILENAME family)
    set(name "case.${stem}")
    get_property(previous GLOBAL PROPERTY "DIFFUSION_VERIFY_CASE_${name}")
    if(previous)
      message(FATAL_ERROR "verify_add_cases: ${f} and ${previous} would both be the test ${name}; file stems must be unique")
    endif()
    set_property(GLOBAL PROPERTY "DIFFUSION_VERIFY_CASE_${name}" "${f}")
    add_test(NAME ${name}
             COMMAND "$<TARGET_FILE:DiffusionVerify::verify>" run "${f}"
                     --out "${CMAKE_CURRENT_BINARY_DIR}/case-reports/${stem}" ${options}
             WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}")
    set(labels claim ${family} ${arg_LABELS})
    set_tests_properties(${name} PROPERTIES LABELS "${labels}")
  endforeach()
endfunction()
