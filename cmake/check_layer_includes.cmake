# Fails when a source file of a layer includes something the layer may not see.
#
#   cmake -DLAYER_DIR=<dir> -DLAYER=<name> -DALLOWED_SYSTEM=<regex>
#         -DALLOWED_LOCAL=<regex> -DSTAMP=<file> -P check_layer_includes.cmake
#
# ALLOWED_SYSTEM matches what is between <...>, ALLOWED_LOCAL what is between "...".
# Every layer's libraries sit in /usr/include beside the standard headers, so the
# compiler alone cannot keep, say, Boost out of the domain; this check does.

file(GLOB_RECURSE sources "${LAYER_DIR}/*.cpp" "${LAYER_DIR}/*.hpp")
set(problems "")
foreach(source IN LISTS sources)
  file(READ "${source}" text)
  # An include inside a /* block comment */ is not one.
  string(REGEX REPLACE "/\\*([^*]|\\*+[^*/])*\\*+/" "" text "${text}")
  string(REGEX MATCHALL "(^|\n)[ \t]*#[ \t]*include[^\n]*" lines "${text}")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    if(line MATCHES "^#[ \t]*include[ \t]*<([^>]+)>")
      set(header "${CMAKE_MATCH_1}")
      if(NOT header MATCHES "${ALLOWED_SYSTEM}")
        string(APPEND problems "\n  ${source}: <${header}>")
      endif()
    elseif(line MATCHES "^#[ \t]*include[ \t]*\"([^\"]+)\"")
      set(header "${CMAKE_MATCH_1}")
      if(NOT header MATCHES "${ALLOWED_LOCAL}")
        string(APPEND problems "\n  ${source}: \"${header}\"")
      endif()
    else()
      # #include_next, #include MACRO: nothing this check can vouch for.
      string(APPEND problems "\n  ${source}: ${line} (not a plain include)")
    endif()
  endforeach()
endforeach()

if(problems)
  message(FATAL_ERROR "the ${LAYER} layer includes what it may not depend on:${problems}")
endif()
file(TOUCH "${STAMP}")
