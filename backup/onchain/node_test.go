package onchain

import (
	"errors"
	"testing"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/x/backup"
)

// The chain's registered "agreement not found" is ErrNotFound by code, not
// by text: another failure whose text says "not found" is not.
func TestAgreementErrIsTyped(t *testing.T) {
	missing := &client.QueryError{Path: "/selfchain.backup.v1.Query/Agreement", Codespace: backup.ErrAgreementNotFound.Codespace(),
		Code: backup.ErrAgreementNotFound.Code(), Log: "no agreement 7: agreement not found"}
	if err := agreementErr(7, missing); !errors.Is(err, ErrNotFound) {
		t.Fatalf("registered not-found answer mapped to %v, want ErrNotFound", err)
	}
	for _, other := range []error{
		&client.QueryError{Codespace: "selfchain", Code: 22, Log: "route not found"},
		errors.New("post \"http://127.0.0.1:1\": account not found behind a proxy"),
	} {
		if err := agreementErr(7, other); errors.Is(err, ErrNotFound) {
			t.Fatalf("%v mapped to ErrNotFound", other)
		}
	}
}
