package server

import (
	"io"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// NewLogger is CometBFT's logger as its own binary builds it: plain or JSON
// (log_format) and a level such as "info" or "consensus:debug,*:error" (log_level).
func NewLogger(w io.Writer, format, level string) (cmtlog.Logger, error) {
	var l cmtlog.Logger
	if format == cmtcfg.LogFormatJSON {
		l = cmtlog.NewTMJSONLogger(cmtlog.NewSyncWriter(w))
	} else {
		l = cmtlog.NewTMLogger(cmtlog.NewSyncWriter(w))
	}
	return cmtflags.ParseLogLevel(level, l, cmtcfg.DefaultLogLevel)
}
