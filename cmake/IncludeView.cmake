# faultline_include_view(<target> <folder>): <target>, and whatever links it, sees the headers
# of <folder> as "<folder>/name.hpp" and no other folder of the source tree.
#
# Each layer gets a view in the build tree, include-views/<folder>/<folder> -> <source>/<folder>,
# and that view is the only directory of ours on the layer's PUBLIC include path; the project
# root is on no library's path. Linking a library therefore grants exactly its headers, and an
# include of a layer the library does not link fails to compile ("daemon/config.hpp: No such
# file or directory"): that is how the rule of ARCHITECTURE.md is enforced. A quoted include
# also searches the including file's own folder first, but no layer folder holds another.
# tests/layering checks the result.
function(faultline_include_view target folder)
  set(view ${PROJECT_BINARY_DIR}/include-views/${folder})
  file(MAKE_DIRECTORY ${view})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${view}/${folder} SYMBOLIC RESULT failed)
  if(failed)
    message(FATAL_ERROR "cannot create the include view ${view}/${folder}: ${failed}")
  endif()
  target_include_directories(${target} PUBLIC ${view})
endfunction()
