package app

import "strings"

// CometBFTVersion is the CometBFT release this binary runs in-process: go.mod's
// requirement, which TestCometBFTVersionMatchesGoMod keeps it equal to. CometBFT's
// own reports (node_info.version in /status, its startup log) carry upstream's
// fallback constant TMCoreSemVer, "0.39.0" in v0.40.0: a const, which no build
// flag can set, so the app reports the version itself (Info, status, logs).
var CometBFTVersion = "v0.40.0"

// infoData is ResponseInfo.Data (/abci_info's data): the app's name and the
// CometBFT version it runs, "selfchain cometbft/v0.40.0".
func infoData() string { return AppName + " cometbft/" + CometBFTVersion }

// CometBFTVersionFromInfo reads the CometBFT version from /abci_info's data as
// infoData writes it ("" when the node does not say).
func CometBFTVersionFromInfo(data string) string {
	_, v, ok := strings.Cut(data, " cometbft/")
	if !ok || strings.HasPrefix(data, " ") {
		return ""
	}
	return v
}
