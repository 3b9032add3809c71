package registry

import (
	"github.com/selfchain/selfchain/app/runtime"
)

var (
	_ runtime.Msg = (*MsgRegisterNode)(nil)
	_ runtime.Msg = (*MsgUpdateNode)(nil)
	_ runtime.Msg = (*MsgRotateKeys)(nil)
	_ runtime.Msg = (*MsgHeartbeat)(nil)
	_ runtime.Msg = (*MsgDeregisterNode)(nil)
)

// Every message is signed by the node's owner (x/permissions lets an app send
// MsgHeartbeat for a user through MsgExec), except a MsgHeartbeat that names the
// node's own signing key as its signer.
func (m *MsgRegisterNode) Signer() string   { return m.Owner }
func (m *MsgUpdateNode) Signer() string     { return m.Owner }
func (m *MsgRotateKeys) Signer() string     { return m.Owner }
func (m *MsgDeregisterNode) Signer() string { return m.Owner }

func (m *MsgHeartbeat) Signer() string {
	if m.NodeSigner != "" {
		return m.NodeSigner
	}
	return m.Owner
}

func (m *MsgRegisterNode) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := parseSigningKey("signing_key", m.SigningKey); err != nil {
		return err
	}
	if _, err := parseEncryptionKey("encryption_key", m.EncryptionKey); err != nil {
		return err
	}
	if err := checkProofSize(m.SigningKeyProof); err != nil {
		return err
	}
	return validateDescription(m.Endpoints, m.Capabilities, m.Tier, m.CustomQuotaBytes, m.Region, m.Version)
}

func (m *MsgUpdateNode) ValidateBasic() error {
	if err := validateOwnerAndNode(m.Owner, m.NodeId); err != nil {
		return err
	}
	return validateDescription(m.Endpoints, m.Capabilities, m.Tier, m.CustomQuotaBytes, m.Region, m.Version)
}

func (m *MsgRotateKeys) ValidateBasic() error {
	if err := validateOwnerAndNode(m.Owner, m.NodeId); err != nil {
		return err
	}
	if m.SigningKey == nil && len(m.EncryptionKey) == 0 {
		return runtime.ErrInvalidRequest.Wrap("rotate_keys: give a new signing_key, a new encryption_key or both")
	}
	if m.SigningKey != nil {
		if err := parseSigningKey("signing_key", *m.SigningKey); err != nil {
			return err
		}
	} else if len(m.SigningKeyProof) > 0 {
		return runtime.ErrInvalidRequest.Wrap("signing_key_proof without a new signing_key")
	}
	if err := checkProofSize(m.SigningKeyProof); err != nil {
		return err
	}
	if len(m.EncryptionKey) > 0 {
		if _, err := parseEncryptionKey("encryption_key", m.EncryptionKey); err != nil {
			return err
		}
	}
	return nil
}

func (m *MsgHeartbeat) ValidateBasic() error {
	if m.NodeSigner != "" {
		if err := validateAddress("node_signer", m.NodeSigner); err != nil {
			return err
		}
	}
	return validateOwnerAndNode(m.Owner, m.NodeId)
}

func (m *MsgDeregisterNode) ValidateBasic() error { return validateOwnerAndNode(m.Owner, m.NodeId) }

func validateOwnerAndNode(owner, nodeID string) error {
	if err := validateAddress("owner", owner); err != nil {
		return err
	}
	return validateNodeID(nodeID)
}

func validateNodeID(id string) error {
	if len(id) > 2*NodeIDLen {
		return ErrFieldTooLarge.Wrapf("node_id: %d bytes, a node id is %d hex digits", len(id), 2*NodeIDLen)
	}
	if !ValidNodeID(id) {
		return ErrInvalidField.Wrapf("node_id: %q is not %d lower-case hex digits", id, 2*NodeIDLen)
	}
	return nil
}

func validateAddress(field, s string) error {
	_, err := parseAddress(field, s)
	return err
}

// parseAddress is runtime.ParseAddress: a bad address names its field.
var parseAddress = runtime.ParseAddress
