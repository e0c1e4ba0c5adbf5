#!/usr/bin/env bash
# Builds the .deb with cpack, installs it on this machine with dpkg, runs the installed binary,
# checks that dpkg keeps an edited config, then removes and purges it and checks nothing is
# left. Needs root; refuses to touch a machine that already has faultline installed.
# Usage: deb_test.sh CPACK BUILD_DIR VERSION
set -euo pipefail
# shellcheck source=tests/packaging/lib.sh
. "$(dirname "$0")/lib.sh"
cpack=$1
build=$2
version=$3
[ "$(id -u)" = 0 ] || skip "installs a package with dpkg, so it needs root"
need dpkg dpkg-deb dpkg-shlibdeps file

config=/etc/faultline/faultline.yaml
unit=/lib/systemd/system/faultline.service
ours=(/usr/bin/faultline /etc/faultline "$unit" /usr/share/doc/faultline
      /usr/share/man/man1/faultline.1 /var/lib/faultline /var/lib/private/faultline)
if dpkg-query -W -f='${db:Status-Abbrev}' faultline 2>/dev/null | grep -q '^[ih]'; then
  skip "the faultline package is installed on this machine; this test will not replace it"
fi
for p in "${ours[@]}"; do
  [ ! -e "$p" ] && [ ! -L "$p" ] ||
    skip "$p exists; this test will not overwrite a faultline it did not install"
done

"$cpack" -G DEB -B "$tmp/pkg" --config "$build/CPackConfig.cmake" >"$tmp/cpack.log" 2>&1 ||
  fail "cpack failed: $(cat "$tmp/cpack.log")"
debs=("$tmp"/pkg/*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || fail "cpack made no single .deb: ${debs[*]}"
deb=${debs[0]}

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = faultline ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), project says $version"
[ -n "$(field Maintainer)" ] && [ -n "$(field Description)" ] || fail "Maintainer/Description empty"
depends=$(field Depends)
# shlibdeps ran: the libraries the binary links are declared, with versions.
for lib in libc6 libcurl4 libuv1 libsqlite3-0 libssl3 libsystemd0 libyaml-cpp libc-ares2 libpcre2-8-0; do
  grep -q "\<$lib" <<<"$depends" || fail "Depends lacks $lib (did dpkg-shlibdeps run?): $depends"
done
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)" = "$config" ] ||
  fail "the package must list $config as its only conffile"
contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
for p in ./usr/bin/faultline ./lib/systemd/system/faultline.service ./etc/faultline/faultline.yaml \
  ./usr/share/man/man1/faultline.1 ./usr/share/doc/faultline/README.md \
  ./usr/share/doc/faultline/ARCHITECTURE.md ./usr/share/doc/faultline/faultline-rules.yml \
  ./usr/share/doc/faultline/faultline-grafana.json ./usr/share/doc/faultline/docs/storage.md \
  ./usr/share/doc/faultline/docs/BENCHMARKS.md; do
  grep -qxF "$p" <<<"$contents" || fail "the package lacks $p"
done

installed=0
made_private=0
made_state=0
cleanup() {
  if [ "$installed" = 1 ]; then dpkg -P faultline >/dev/null 2>&1 || true; fi
  if [ "$made_state" = 1 ]; then rm -rf /var/lib/private/faultline /var/lib/faultline; fi
  if [ "$made_private" = 1 ]; then rmdir /var/lib/private 2>/dev/null || true; fi
  cleanup_tmp
}
trap cleanup EXIT
installed=1
dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || fail "dpkg -i failed: $(cat "$tmp/dpkg.log")"

out=$(/usr/bin/faultline version) || fail "faultline version failed: $out"
[[ $out == "faultline $version "* ]] || fail "faultline version printed: $out"
out=$(/usr/bin/faultline config check "$config" 2>&1) || fail "the installed config is invalid: $out"
echo "$out"

# The unit as installed, on the real system: binary, /bin/kill and man page resolve for real.
if command -v systemd-analyze >/dev/null; then
  man_check=--man=yes
  # Minimal images tell dpkg to skip /usr/share/man (path-exclude); then there is no page.
  [ -f /usr/share/man/man1/faultline.1 ] || man_check=--man=no
  out=$(systemd-analyze verify "$man_check" "$unit" 2>&1) || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify warned: $out"
fi

# dpkg keeps a locally edited conffile when the package is installed again.
echo "# edited by deb_test.sh" >>"$config"
dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || fail "dpkg -i over an edited config: $(cat "$tmp/dpkg.log")"
grep -q '^# edited by deb_test.sh$' "$config" || fail "reinstalling replaced the edited $config"

dpkg -r faultline >"$tmp/dpkg.log" 2>&1 || fail "dpkg -r failed: $(cat "$tmp/dpkg.log")"
[ ! -e /usr/bin/faultline ] && [ ! -e "$unit" ] || fail "dpkg -r left the binary or the unit"
[ -f "$config" ] || fail "dpkg -r removed the conffile (only purge should)"
# What a run of the service leaves (StateDirectory= with DynamicUser=yes); purge removes it.
if [ ! -d /var/lib/private ]; then
  made_private=1
  mkdir -m 700 /var/lib/private
fi
made_state=1
mkdir /var/lib/private/faultline
touch /var/lib/private/faultline/faultline.db
ln -s private/faultline /var/lib/faultline
dpkg -P faultline >"$tmp/dpkg.log" 2>&1 || fail "dpkg -P failed: $(cat "$tmp/dpkg.log")"
installed=0
for p in "${ours[@]}"; do
  [ ! -e "$p" ] && [ ! -L "$p" ] || fail "dpkg -P left $p"
done
made_state=0
if [ "$made_private" = 1 ]; then
  rmdir /var/lib/private
  made_private=0
fi
if dpkg-query -W -f='${db:Status-Abbrev}' faultline 2>/dev/null | grep -q '^[a-z]'; then
  fail "dpkg still knows faultline after purge: $(dpkg-query -W -f='${db:Status-Abbrev}' faultline)"
fi

echo "$(basename "$deb"): Installed-Size $(field Installed-Size) KiB"
echo "Depends: $depends"
