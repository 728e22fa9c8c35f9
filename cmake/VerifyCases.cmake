# This repository's own CTest tests for its case files: one test per case through verify_add_cases, the function
# the installed package gives other projects (cmake/DiffusionVerifyCases.cmake), so names and labels cannot drift;
# plus one power test per claim family.
include(DiffusionVerifyCases)

# Power: every claim family's mutants (deliberately wrong formulas) must all be refuted, at least 3 per family.
function(verify_add_power_test family_dir)
  get_filename_component(family "${family_dir}" NAME)
  add_test(NAME power.${family}
           COMMAND verify mutants "${family_dir}" --min 3 --threads 2
           WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
  set_tests_properties(power.${family} PROPERTIES LABELS "power;${family}")
endfunction()

# Every *.toml under cases/ except the shared mixture and schedule files, and a power test per family folder.
function(verify_add_all_cases cases_dir)
  verify_add_cases("${cases_dir}")
  file(GLOB family_dirs LIST_DIRECTORIES true "${cases_dir}/*")
  list(SORT family_dirs)
  foreach(d IN LISTS family_dirs)
    get_filename_component(n "${d}" NAME)
    if(IS_DIRECTORY "${d}" AND NOT n MATCHES "^(mixtures|schedules)$")
      verify_add_power_test("${d}")
    endif()
  endforeach()
endfunction()
