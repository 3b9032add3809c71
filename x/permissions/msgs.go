package permissions

import (
	"fmt"
	"strings"

	gogotypes "github.com/cosmos/gogoproto/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// Bounds on message fields, checked before any state is read.
const (
	MinAppIDLen, MaxAppIDLen = 3, 64
	MaxNameLen               = 64
	MaxDescriptionLen        = 512
	MaxHomepageLen           = 256
	MaxReasonLen             = 256
)

var (
	_ runtime.Msg = (*MsgRegisterApp)(nil)
	_ runtime.Msg = (*MsgUpdateApp)(nil)
	_ runtime.Msg = (*MsgRotateAppKey)(nil)
	_ runtime.Msg = (*MsgSuspendApp)(nil)
	_ runtime.Msg = (*MsgGrant)(nil)
	_ runtime.Msg = (*MsgRevoke)(nil)
	_ runtime.Msg = (*MsgRevokeAll)(nil)
	_ runtime.Msg = (*MsgSetKillSwitch)(nil)
	_ runtime.Msg = (*MsgExec)(nil)
)

func (m *MsgRegisterApp) Signer() string   { return m.Owner }
func (m *MsgUpdateApp) Signer() string     { return m.Owner }
func (m *MsgRotateAppKey) Signer() string  { return m.Owner }
func (m *MsgSuspendApp) Signer() string    { return m.Sender }
func (m *MsgGrant) Signer() string         { return m.User }
func (m *MsgRevoke) Signer() string        { return m.User }
func (m *MsgRevokeAll) Signer() string     { return m.User }
func (m *MsgSetKillSwitch) Signer() string { return m.User }
func (m *MsgExec) Signer() string          { return m.Grantee }

func (m *MsgRegisterApp) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := validateAppInfo(m.Id, m.Name, m.Description, m.Homepage, m.Scopes); err != nil {
		return err
	}
	if err := validatePubKeys(m.PubKeys); err != nil {
		return err
	}
	if err := m.Deposit.Validate(); err != nil {
		return runtime.ErrInvalidCoins.Wrapf("deposit: %v", err)
	}
	return nil
}

func (m *MsgUpdateApp) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	return validateAppInfo(m.Id, m.Name, m.Description, m.Homepage, m.Scopes)
}

func (m *MsgRotateAppKey) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := ValidateAppID(m.Id); err != nil {
		return err
	}
	return validatePubKeys(m.PubKeys)
}

func (m *MsgSuspendApp) ValidateBasic() error {
	if err := validateAddress("sender", m.Sender); err != nil {
		return err
	}
	if err := ValidateAppID(m.Id); err != nil {
		return err
	}
	if len(m.Reason) > MaxReasonLen {
		return ErrInvalidApp.Wrapf("reason: %d bytes, at most %d", len(m.Reason), MaxReasonLen)
	}
	return nil
}

func (m *MsgGrant) ValidateBasic() error {
	if err := validateAddress("user", m.User); err != nil {
		return err
	}
	if err := ValidateAppID(m.AppId); err != nil {
		return err
	}
	scopes, err := parseScopeList("scopes", m.Scopes, MaxGrantScopes)
	if err != nil {
		return err
	}
	switch {
	case m.ExpiryHeight < 0 || m.ExpiryTime < 0:
		return ErrInvalidExpiry.Wrap("expiry_height and expiry_time must not be negative")
	case (m.ExpiryHeight > 0) == (m.ExpiryTime > 0):
		return ErrInvalidExpiry.Wrap("set exactly one of expiry_height and expiry_time")
	}
	spendScope := false
	for _, sc := range scopes {
		spendScope = spendScope || sc.SpendLimited()
	}
	if err := m.SpendLimit.Validate(); err != nil {
		return ErrInvalidLimits.Wrapf("spend_limit: %v", err)
	}
	if spendScope && len(m.SpendLimit) == 0 {
		return ErrInvalidLimits.Wrap("spend_limit: required when granting bank:send")
	}
	if !spendScope && len(m.SpendLimit) > 0 {
		return ErrInvalidLimits.Wrap("spend_limit: only meaningful with bank:send")
	}
	return nil
}

func (m *MsgRevoke) ValidateBasic() error {
	if err := validateAddress("user", m.User); err != nil {
		return err
	}
	if err := ValidateAppID(m.AppId); err != nil {
		return err
	}
	_, err := parseScopeList("scopes", m.Scopes, MaxGrantScopes)
	return err
}

func (m *MsgRevokeAll) ValidateBasic() error {
	if err := validateAddress("user", m.User); err != nil {
		return err
	}
	return ValidateAppID(m.AppId)
}

func (m *MsgSetKillSwitch) ValidateBasic() error { return validateAddress("user", m.User) }

// PackedMsgs lets the tx decoder decode and canonically check the inner messages
// with the tx's own (runtime.PackedMsgs).
func (m *MsgExec) PackedMsgs() (string, []*gogotypes.Any) { return "msgs", m.Msgs }

// ValidateBasic bounds the inner messages; the tx decoder has decoded them (canonical
// encodings only); they are checked against the grant and routed at execution.
func (m *MsgExec) ValidateBasic() error {
	if err := validateAddress("grantee", m.Grantee); err != nil {
		return err
	}
	if err := validateAddress("user", m.User); err != nil {
		return err
	}
	if err := ValidateAppID(m.AppId); err != nil {
		return err
	}
	if len(m.Msgs) == 0 {
		return ErrInvalidInnerMsg.Wrap("msgs: at least one inner message is required")
	}
	if len(m.Msgs) > MaxExecMsgs {
		return ErrTooManyInnerMsgs.Wrapf("msgs: %d inner messages, at most %d", len(m.Msgs), MaxExecMsgs)
	}
	for i, a := range m.Msgs {
		switch {
		case a == nil:
			return ErrInvalidInnerMsg.Wrapf("msgs[%d]: nil", i)
		case a.TypeUrl == execTypeURL:
			return ErrNestedExec.Wrapf("msgs[%d]: a MsgExec cannot contain another MsgExec", i)
		case len(a.Value) > MaxInnerMsgBytes:
			return ErrInnerMsgTooLarge.Wrapf("msgs[%d]: %d bytes, at most %d", i, len(a.Value), MaxInnerMsgBytes)
		}
	}
	return nil
}

// ValidateAppID checks an app id: 3-64 characters, lower-case letters, digits and
// '-', starting with a letter and not ending with '-' ("my-notes-app").
func ValidateAppID(id string) error {
	if len(id) < MinAppIDLen || len(id) > MaxAppIDLen {
		return ErrInvalidApp.Wrapf("app id %q: length %d (want %d-%d)", trunc(id), len(id), MinAppIDLen, MaxAppIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '-')
		if !ok {
			return ErrInvalidApp.Wrapf("app id %q: character %q at %d (want a-z first, then a-z 0-9 -)", id, c, i)
		}
	}
	if id[len(id)-1] == '-' {
		return ErrInvalidApp.Wrapf("app id %q: must not end with '-'", id)
	}
	return nil
}

func validateAppInfo(id, name, desc, homepage string, scopes []string) error {
	if err := ValidateAppID(id); err != nil {
		return err
	}
	if name == "" || len(name) > MaxNameLen {
		return ErrInvalidApp.Wrapf("name: %d bytes (want 1-%d)", len(name), MaxNameLen)
	}
	if len(desc) > MaxDescriptionLen {
		return ErrInvalidApp.Wrapf("description: %d bytes, at most %d", len(desc), MaxDescriptionLen)
	}
	if len(homepage) > MaxHomepageLen {
		return ErrInvalidApp.Wrapf("homepage: %d bytes, at most %d", len(homepage), MaxHomepageLen)
	}
	if homepage != "" && !strings.HasPrefix(homepage, "https://") {
		return ErrInvalidApp.Wrapf("homepage %q: must start with https://", trunc(homepage))
	}
	for _, s := range []string{name, desc, homepage} {
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				return ErrInvalidApp.Wrap("name, description and homepage must not contain control characters")
			}
		}
	}
	if len(scopes) == 0 {
		return ErrInvalidScope.Wrap("scopes: an app must declare at least one scope")
	}
	_, err := parseScopeList("scopes", scopes, MaxAppScopes)
	return err
}

func validatePubKeys(keys []types.PubKey) error {
	if len(keys) == 0 || len(keys) > MaxAppKeys {
		return ErrInvalidApp.Wrapf("pub_keys: %d keys (want 1-%d)", len(keys), MaxAppKeys)
	}
	for i := range keys {
		if _, err := crypto.PubKeyFromTyped(keys[i].Type, keys[i].Key); err != nil {
			return runtime.ErrInvalidPubKey.Wrapf("pub_keys[%d]: %v", i, err)
		}
		for j := 0; j < i; j++ {
			if keys[j].Type == keys[i].Type && string(keys[j].Key) == string(keys[i].Key) {
				return ErrInvalidApp.Wrapf("pub_keys[%d] repeats pub_keys[%d]", i, j)
			}
		}
	}
	return nil
}

// parseScopeList parses 1..max scopes strictly, rejecting duplicates.
func parseScopeList(field string, ss []string, max int) ([]Scope, error) {
	if len(ss) == 0 || len(ss) > max {
		return nil, ErrInvalidScope.Wrapf("%s: %d scopes (want 1-%d)", field, len(ss), max)
	}
	out := make([]Scope, len(ss))
	for i, s := range ss {
		sc, err := ParseScope(s)
		if err != nil {
			return nil, ErrInvalidScope.Wrapf("%s[%d]: %v", field, i, err)
		}
		for j := 0; j < i; j++ {
			if ss[j] == s {
				return nil, ErrInvalidScope.Wrapf("%s[%d]: %s is listed twice", field, i, s)
			}
		}
		out[i] = sc
	}
	return out, nil
}

func validateAddress(field, s string) error {
	if _, err := crypto.AddressFromBech32(s); err != nil {
		return runtime.ErrInvalidAddress.Wrapf("%s: %v", field, err)
	}
	return nil
}

// trunc keeps error messages bounded whatever a client sends.
func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return fmt.Sprint(s)
}
