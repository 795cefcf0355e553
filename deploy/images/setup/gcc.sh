# Setup hook of the gcc runtimes (bookworm's gcc, trixie-gcc is a link to this file).
# <bits/stdc++.h>, which competitive programmers include for everything, costs ~1.2 s of every
# compile; precompiled once here for the catalogue's C++ flags (-O2 -std=gnu++17), a program
# including it compiles in a fraction of that. GCC looks for bits/stdc++.h.gch in each include
# directory before the header itself, uses it only when the compile's options match the ones it
# was built with, and otherwise goes on to the real header: other flags just compile as before.
set -euo pipefail
# (awk reads all of g++'s output: an early exit would fail the pipe.)
header=$(echo '#include <bits/stdc++.h>' | g++ -std=gnu++17 -x c++ -H -fsyntax-only - 2>&1 \
  | awk '$2 ~ /bits\/stdc\+\+\.h$/ && !found {print $2; found = 1}')
mkdir -p /opt/crh/pch/bits
g++ -O2 -std=gnu++17 -pipe -x c++-header "$header" -o /opt/crh/pch/bits/stdc++.h.gch
chmod -R a+rX /opt/crh/pch
# Fail the build, not the first sandbox, when the header is not used.
cd /tmp
printf '#include <bits/stdc++.h>\nint main() { std::cout << "ok\\n"; }\n' > pch.cpp
used=$(g++ -O2 -std=gnu++17 -pipe -I/opt/crh/pch -Winvalid-pch -H -o pch pch.cpp 2>&1)
grep -qF 'stdc++.h.gch' <<<"$used"
[ "$(./pch)" = ok ]
rm -f pch pch.cpp
