# Macros of ipcctl's configure.ac.

# IPCCTL_COMPLETION_DIR(SHELL, VAR, DEFAULT)
# ------------------------------------------
# --with-SHELL-completion-dir=DIR: where SHELL's completion is installed,
# AC_SUBST as VAR; DEFAULT lies under the prefix, so that "make install"
# writes nothing outside it.
AC_DEFUN([IPCCTL_COMPLETION_DIR],
[AC_ARG_WITH([$1-completion-dir],
  [AS_HELP_STRING([--with-$1-completion-dir=DIR],
    [where to install the $1 completion (default: $3)])],
  [$2=$withval], [$2='$3'])
AC_SUBST([$2])])

# IPCCTL_EXPAND(VALUE)
# --------------------
# Print VALUE with ${prefix}, ${datadir} and the like expanded, as "make
# install" will expand them.
AC_DEFUN([IPCCTL_EXPAND],
[`test "x$prefix" = xNONE && prefix=$ac_default_prefix
test "x$exec_prefix" = xNONE && exec_prefix=$prefix
ipcctl_v=$1
while :; do case $ipcctl_v in *'$'*) eval ipcctl_v=\"$ipcctl_v\" ;; *) break ;; esac; done
echo "$ipcctl_v"`])

# IPCCTL_LINK_IFELSE(LIBS, FUNCTION, [IF-LINKS], [IF-NOT])
# --------------------------------------------------------
# Whether a program calling FUNCTION links with LIBS added, as the
# programs will be linked (LDFLAGS, so -static too).
AC_DEFUN([IPCCTL_LINK_IFELSE],
[ipcctl_save_LIBS=$LIBS
LIBS="$1 $LIBS"
AC_LINK_IFELSE([AC_LANG_CALL([], [$2])], [LIBS=$ipcctl_save_LIBS
$3], [LIBS=$ipcctl_save_LIBS
$4])])
