#pragma once
// What the GUI does before and right after QApplication exists so that a
// normal start prints nothing but SpoofLens' own lines (issue 27, "quiet
// output"). The sources of the remaining library lines are handled where they
// arise: JACK and ALSA probes in ui/playback/AudioPlayer.cpp, empty plot
// buffers in ui/widgets/Plot.h.

/// Before QApplication: when XDG_RUNTIME_DIR is unset (root shells, CI,
/// containers), create /tmp/runtime-<user> with mode 0700 as Qt would, and
/// point the variable at it, so that Qt does not warn that it had to.
void prepareQuietStart();

/// After QApplication: on platforms without a window system (offscreen,
/// minimal) Qt warns "This plugin does not support propagateSizeHints()" each
/// time a window's minimum size changes; that message, and only that one, is
/// dropped there. Every other message reaches the previous handler.
void installQuietMessageFilter();
