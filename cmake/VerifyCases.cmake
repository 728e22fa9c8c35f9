# One CTest test per case file, named after the file (cases/kl/gaussian_kl_1d.toml -> case.gaussian_kl_1d),
# labelled `claim` and with the claim family (the case's subfolder), so `ctest -R case.<name>` reruns one.
function(verify_add_case case_file)
  get_filename_component(name "${case_file}" NAME_WE)
  get_filename_component(dir "${case_file}" DIRECTORY)
  get_filename_component(family "${dir}" NAME)
  set(out "${CMAKE_BINARY_DIR}/case-reports/${name}")
  add_test(NAME case.${name}
           COMMAND verify run "${case_file}" --out "${out}" --threads 2 --no-plots
           WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
  set_tests_properties(case.${name} PROPERTIES LABELS "claim;${family}")
endfunction()

# Power: every claim family's mutants (deliberately wrong formulas) must all be refuted, at least 3 per family.
function(verify_add_power_test family_dir)
  get_filename_component(family "${family_dir}" NAME)
  add_test(NAME power.${family}
           COMMAND verify mutants "${family_dir}" --min 3 --threads 2
           WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}")
  set_tests_properties(power.${family} PROPERTIES LABELS "power;${family}")
endfunction()

# Every *.toml under cases/ except the shared mixture and schedule files.
function(verify_add_all_cases cases_dir)
  file(GLOB_RECURSE case_files CONFIGURE_DEPENDS "${cases_dir}/*.toml")
  list(SORT case_files)
  foreach(f IN LISTS case_files)
    if(f MATCHES "/(mixtures|schedules)/")
      continue()
    endif()
    verify_add_case("${f}")
  endforeach()
  file(GLOB family_dirs LIST_DIRECTORIES true "${cases_dir}/*")
  list(SORT family_dirs)
  foreach(d IN LISTS family_dirs)
    get_filename_component(n "${d}" NAME)
    if(IS_DIRECTORY "${d}" AND NOT n MATCHES "^(mixtures|schedules)$")
      verify_add_power_test("${d}")
    endif()
  endforeach()
endfunction()
