#!/usr/bin/env bash
# The Debian package as a county's admin would get it (issue 16, README "Running as a systemd
# service"): CPack packs the existing build tree for /usr (no second compile), then this checks
#   - the control fields: Package, Version, Architecture amd64, Depends naming the runtime
#     library packages (never a -dev package);
#   - conffiles: /etc/fangfan/fangfan.toml and every calendar file, so edits survive upgrades;
#   - postinst reloads systemd and never enables or starts the daemon;
#   - the layout unpacked with `dpkg -x` into a scratch root: both programs in /usr/bin, the unit
#     naming /usr/bin, the configuration with its state under /var/lib/fangfan, no state shipped;
#   - the unpacked fangfand accepts the unpacked configuration with --check-config. The check
#     runs on a copy whose /var/lib/fangfan is the scratch folder (this machine's /var/lib is
#     not the test's to touch); the calendar is the unpacked one next to it.
# Usage: deb_package_test.sh BUILD_DIR VERSION
set -euo pipefail
build_dir=$(cd "$1" && pwd)
version=$2
scratch=$(mktemp -d /tmp/fangfan-package-test.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
has_line() {  # has_line FILE REGEX WHAT
  grep -Eq -- "$2" "$1" || fail "$3"
}

(cd "$scratch" && cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$scratch/out" >cpack.log 2>&1) ||
  { cat "$scratch/cpack.log" >&2; fail "cpack failed"; exit 1; }
deb="$scratch/out/fangfan_${version}_amd64.deb"
[[ -f $deb ]] || { ls "$scratch/out" >&2; fail "no package named fangfan_${version}_amd64.deb"; exit 1; }

# -- control fields
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == fangfan ]] || fail "Package is '$(field Package)'"
[[ $(field Version) == "$version" ]] || fail "Version is '$(field Version)', not $version"
[[ $(field Architecture) == amd64 ]] || fail "Architecture is '$(field Architecture)'"
depends=$(field Depends)
for lib in libc6 'libstdc\+\+6' libsystemd0 libcurl4 'libsoci-core4\.0' 'libsoci-sqlite3-4\.0' \
  'libboost-json1\.81\.0' libzip4 libexpat1 libtomlplusplus3; do
  [[ $depends =~ (^|, )$lib( |,|$) ]] || fail "Depends does not name $lib: $depends"
done
[[ ! $depends =~ -dev ]] || fail "Depends names a -dev package: $depends"

# -- control files: conffiles and postinst
dpkg-deb -e "$deb" "$scratch/control"
conffiles="$scratch/control/conffiles"
[[ -f $conffiles ]] || fail "no conffiles"
has_line "$conffiles" '^/etc/fangfan/fangfan\.toml$' "conffiles lacks /etc/fangfan/fangfan.toml"
has_line "$conffiles" '^/etc/fangfan/calendar/2026\.toml$' "conffiles lacks the calendar"
postinst="$scratch/control/postinst"
[[ -x $postinst ]] || fail "postinst missing or not executable"
has_line "$postinst" '^ *systemctl daemon-reload' "postinst does not reload systemd"
if grep -Eq '^[[:space:]]*(systemctl|deb-systemd-invoke|invoke-rc\.d)[^#]*(start|enable)' "$postinst"; then
  fail "postinst starts or enables the daemon"
fi

# -- the layout, unpacked
root="$scratch/root"
dpkg -x "$deb" "$root"
for f in usr/bin/fangfand usr/bin/fangfanctl; do
  [[ -x $root/$f ]] || fail "/$f missing or not executable"
done
unit="$root/usr/lib/systemd/system/fangfand.service"
[[ -f $unit ]] || unit="$root/lib/systemd/system/fangfand.service"
if [[ -f $unit ]]; then
  has_line "$unit" '^ExecStart=/usr/bin/fangfand --config /etc/fangfan/fangfan\.toml$' \
    "the unit's ExecStart does not run /usr/bin/fangfand"
  has_line "$unit" '^ExecStartPre=/usr/bin/fangfand --check-config ' \
    "the unit's ExecStartPre does not run /usr/bin/fangfand"
  ! grep -q /usr/local "$unit" || fail "the unit still names /usr/local"
else
  fail "no unit in /usr/lib/systemd/system or /lib/systemd/system"
fi
config="$root/etc/fangfan/fangfan.toml"
[[ -f $config ]] || fail "/etc/fangfan/fangfan.toml missing"
[[ -f $root/etc/fangfan/calendar/2026.toml ]] || fail "/etc/fangfan/calendar missing"
has_line "$config" '^url = "sqlite3:///var/lib/fangfan/fangfan\.db"$' \
  "the configuration's database is not under /var/lib/fangfan"
! grep -Eq '^[^#]*"state/' "$config" || fail "the configuration keeps a relative state/ path"
[[ ! -e $root/var ]] || fail "the package ships /var (the unit's StateDirectory owns it)"
[[ -f $root/usr/share/doc/fangfan/README.md ]] || fail "no README in /usr/share/doc/fangfan"

# -- the unpacked daemon accepts the unpacked configuration
if [[ -f $config && -x $root/usr/bin/fangfand ]]; then
  mkdir -p "$scratch/state"
  sed "s|/var/lib/fangfan|$scratch/state|g" "$config" >"$root/etc/fangfan/check.toml"
  if ! out=$("$root/usr/bin/fangfand" --check-config "$root/etc/fangfan/check.toml" 2>&1); then
    fail "fangfand --check-config refused the packaged configuration: $out"
  else
    echo "$out"
  fi
fi

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "package $(basename "$deb"): control, conffiles, layout and --check-config as expected"
