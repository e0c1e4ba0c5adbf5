# Read by ctest after the list of discovered doctest cases (TEST_INCLUDE_FILES; the cases are only
# known once faultline_tests is built, so tests/CMakeLists.txt cannot name them). The cases that
# take seconds get a COST, their expected seconds, so that ctest starts them first and a run with
# -j above the core count (tests/ci.sh) ends about when its longest test does. Most of them wait
# (idle steps, deadlines, rounds of probes) rather than compute; PROCESSORS marks the ones that
# keep a core busy, in tests/ci.sh's slots of a quarter core.
#
# Each entry: the start of a case's name, its COST, its PROCESSORS.
set(faultline_slow_cases
  "hostile: a daemon probing every hostile server" 20 2
  "idle: a conntrack middlebox resets idle" 12 1
  "local faults: more probes than descriptors" 10 1
  "secrets: header values never reach" 5 1
  "local faults: a full disk" 4 1
  "reuse_connection: a conntrack middlebox" 4 1
  "hostile: 2,000 probes" 3 2
  "hostile: slowloris" 3 1
  "probe: 200 concurrent probes" 3 1
  "local faults: a ca_file deleted" 3 1
  "storage faults: locked past the busy timeout" 2 1
  "hostile: a request too big" 2 1
)
foreach(faultline_case IN LISTS faultline_tests_TESTS)
  set(faultline_rest ${faultline_slow_cases})
  while(faultline_rest)
    list(POP_FRONT faultline_rest faultline_prefix faultline_cost faultline_processors)
    string(FIND "${faultline_case}" "${faultline_prefix}" faultline_at)
    if(faultline_at EQUAL 0)
      set_tests_properties("${faultline_case}" PROPERTIES COST ${faultline_cost}
                           PROCESSORS ${faultline_processors})
      break()
    endif()
  endwhile()
endforeach()
