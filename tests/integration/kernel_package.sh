#!/usr/bin/env bash
# kernel_package.sh — the Debian package `make deb` builds, installed on
# this machine for real with dpkg (its maintainer scripts run as they would
# for a user):
#  - the packaged /usr/sbin/gzcoredump installs itself as the kernel's
#    handler (--persist) and stores a real crash;
#  - reinstalling the package (dpkg's upgrade path) changes nothing;
#  - `dpkg -r` gives core_pattern and core_pipe_limit the values they had
#    before, removes the sysctl.d file (a pattern piping to a removed
#    binary would lose every later core) and keeps the store and its core;
#  - a core_pattern that pipes to another gzcoredump (this build's), or to
#    this one with no record of installing it here (a container that shares
#    the host's pattern), is left alone by `dpkg -r`;
#  - `dpkg -P` drops /var/lib/gzcoredump;
#  - `make uninstall` with no DESTDIR gives core_pattern back as `dpkg -r` does.
# It uses the real /var/lib/gzcoredump and /etc/sysctl.d, so it skips
# where anything of an installation already exists, and purges the package
# and those files on every exit path.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/helpers/kernel_lib.sh"
for t in make dpkg dpkg-deb dpkg-shlibdeps dpkg-query; do need "$t"; done
unset GZC_STATE_DIR GZC_SYSCTL_FILE
SYSCTL=/etc/sysctl.d/50-gzcoredump.conf
STATE=/var/lib/gzcoredump
if dpkg-query -W gzcore >/dev/null 2>&1; then
	skip "the gzcore package is installed on this machine: not touching it"
fi
for f in /usr/sbin/gzcoredump /usr/bin/gzcorefs "$SYSCTL" "$STATE"; do
	[ ! -e "$f" ] || skip "$f exists (an installation this test did not make): not touching it"
done
at_exit "rm -rf '$STATE'; rm -f '$SYSCTL'"
at_exit "dpkg -P gzcore >/dev/null 2>&1"

use_make
version=$("$GZCOREDUMP" --version) || fail "gzcoredump --version"
deb=$BUILD/gzcore_${version#gzcoredump }_$(dpkg --print-architecture).deb
mk deb >"$TMP/make.log" 2>&1 || { cat "$TMP/make.log"; fail "make deb"; }

installed() { dpkg-query -W -f '${Status}' gzcore 2>/dev/null; }
dpkg_do() { dpkg "$@" >"$TMP/dpkg.log" 2>&1 || { cat "$TMP/dpkg.log"; fail "dpkg $*"; }; }
pattern() { cat /proc/sys/kernel/core_pattern; }
PREV='core.gzc-package-test.%p'
printf '%s\n' "$PREV" > /proc/sys/kernel/core_pattern
echo 3 > /proc/sys/kernel/core_pipe_limit

# --- install, capture, reinstall -------------------------------------------------
dpkg_do -i "$deb"
[ "$(installed)" = "install ok installed" ] || fail "dpkg -i: status '$(installed)'"
[ "$(pattern)" = "$PREV" ] || fail "installing the package changed core_pattern to '$(pattern)'"
[ "$(/usr/sbin/gzcoredump --version)" = "$version" ] || fail "the installed gzcoredump --version"
/usr/sbin/gzcoredump install --persist --store "$STORE" >/dev/null || fail "gzcoredump install --persist"
case "$(pattern)" in "|/usr/sbin/gzcoredump "*) ;; *) fail "core_pattern after install: $(pattern)";; esac
grep -q '^kernel.core_pattern = |/usr/sbin/gzcoredump ' "$SYSCTL" || fail "install --persist wrote no $SYSCTL"
crash "$CRASH/crash_segv"
wait_cores 1
ok "the packaged gzcoredump is the kernel's handler and stored a crash"

ours=$(pattern)
dpkg_do -i "$deb"
[ "$(pattern)" = "$ours" ] && [ -f "$SYSCTL" ] || fail "reinstalling the package changed core_pattern to '$(pattern)'"
ok "reinstalling (dpkg's upgrade path) keeps core_pattern and $SYSCTL"

# --- remove: the previous core_pattern back, the store kept ------------------------
dpkg_do -r gzcore
[ "$(installed)" = "deinstall ok config-files" ] || [ -z "$(installed)" ] || fail "dpkg -r: status '$(installed)'"
[ ! -e /usr/sbin/gzcoredump ] || fail "dpkg -r left /usr/sbin/gzcoredump"
[ "$(pattern)" = "$PREV" ] || fail "dpkg -r left core_pattern '$(pattern)', not '$PREV'"
[ "$(cat /proc/sys/kernel/core_pipe_limit)" = 3 ] || fail "dpkg -r left core_pipe_limit $(cat /proc/sys/kernel/core_pipe_limit)"
[ ! -e "$SYSCTL" ] || fail "dpkg -r left $SYSCTL: $(cat "$SYSCTL")"
[ "$(cores)" = 1 ] || fail "dpkg -r touched the store: $(cores) cores"
ok "dpkg -r gives back core_pattern '$PREV' and core_pipe_limit 3, removes $SYSCTL, keeps the store"

# --- another gzcoredump's core_pattern is not the package's to undo ----------------------
dpkg_do -i "$deb"
"$GZCOREDUMP" install --store "$STORE" >/dev/null || fail "install of this build's gzcoredump"
other=$(pattern)
case "$other" in "|$GZCOREDUMP "*) ;; *) fail "core_pattern after this build's install: $other";; esac
dpkg_do -r gzcore
[ "$(pattern)" = "$other" ] || fail "dpkg -r changed another gzcoredump's core_pattern to '$(pattern)'"
"$GZCOREDUMP" uninstall >/dev/null || fail "uninstall of this build's gzcoredump"
[ "$(pattern)" = "$PREV" ] || fail "uninstall left '$(pattern)'"
ok "dpkg -r leaves a core_pattern that pipes to another gzcoredump"

[ ! -e "$STATE" ] || fail "uninstall left $STATE: $(ls -A "$STATE")"

# --- a core_pattern this system did not install (a container sharing the host's) stays ---
dpkg_do -i "$deb"
line=$(/usr/sbin/gzcoredump install --store "$STORE" --print) || fail "install --print"
printf '%s\n' "$line" > /proc/sys/kernel/core_pattern
dpkg_do -r gzcore
[ "$(pattern)" = "$line" ] || fail "dpkg -r changed a core_pattern not installed from here to '$(pattern)'"
grep -q "not installed from here" "$TMP/dpkg.log" || fail "dpkg -r did not say why it left core_pattern: $(cat "$TMP/dpkg.log")"
printf '%s\n' "$PREV" > /proc/sys/kernel/core_pattern
ok "dpkg -r leaves a core_pattern it finds no record of installing"

# --- purge: the state goes, even when core_pattern was changed by hand since ------------
dpkg_do -i "$deb"
/usr/sbin/gzcoredump install --store "$STORE" >/dev/null || fail "gzcoredump install"
[ -d "$STATE" ] || fail "install kept no state in $STATE"
printf '%s\n' "$PREV" > /proc/sys/kernel/core_pattern
dpkg_do -P gzcore
[ -z "$(installed)" ] || fail "dpkg -P: status '$(installed)'"
[ "$(pattern)" = "$PREV" ] || fail "dpkg -P changed a core_pattern set by hand to '$(pattern)'"
[ ! -e "$STATE" ] || fail "dpkg -P left $STATE"
[ "$(cores)" = 1 ] || fail "dpkg -P touched the store: $(cores) cores"
ok "dpkg -P leaves a core_pattern set by hand, removes $STATE, keeps the store"

# --- make uninstall from the running system does the same ---------------------------------
pfx=$TMP/prefix
mk install PREFIX="$pfx" >"$TMP/make.log" 2>&1 || { cat "$TMP/make.log"; fail "make install PREFIX=$pfx"; }
"$pfx/sbin/gzcoredump" install --store "$STORE" >/dev/null || fail "install of $pfx/sbin/gzcoredump"
case "$(pattern)" in "|$pfx/sbin/gzcoredump "*) ;; *) fail "core_pattern after install: $(pattern)";; esac
mk uninstall PREFIX="$pfx" >"$TMP/make.log" 2>&1 || { cat "$TMP/make.log"; fail "make uninstall PREFIX=$pfx"; }
[ ! -e "$pfx/sbin/gzcoredump" ] || fail "make uninstall left $pfx/sbin/gzcoredump"
[ "$(pattern)" = "$PREV" ] || fail "make uninstall left core_pattern '$(pattern)'"
ok "make uninstall (no DESTDIR) gives back the core_pattern its gzcoredump installed"
