package bridge

import (
	"regexp"

	"github.com/selfchain/selfchain/app/runtime"
)

var (
	_ runtime.Msg = (*MsgCreateClient)(nil)
	_ runtime.Msg = (*MsgUpdateClient)(nil)
	_ runtime.Msg = (*MsgRegisterCounterparty)(nil)
	_ runtime.Msg = (*MsgSubmitMisbehaviour)(nil)
	_ runtime.Msg = (*MsgRecoverClient)(nil)
	_ runtime.Msg = (*MsgTransfer)(nil)
	_ runtime.Msg = (*MsgRecvPacket)(nil)
	_ runtime.Msg = (*MsgAcknowledgement)(nil)
	_ runtime.Msg = (*MsgTimeout)(nil)
)

func (m *MsgCreateClient) Signer() string         { return m.Creator }
func (m *MsgUpdateClient) Signer() string         { return m.Relayer }
func (m *MsgRegisterCounterparty) Signer() string { return m.Creator }
func (m *MsgSubmitMisbehaviour) Signer() string   { return m.Relayer }
func (m *MsgRecoverClient) Signer() string        { return m.Authority }
func (m *MsgTransfer) Signer() string             { return m.Sender }
func (m *MsgRecvPacket) Signer() string           { return m.Relayer }
func (m *MsgAcknowledgement) Signer() string      { return m.Relayer }
func (m *MsgTimeout) Signer() string              { return m.Relayer }

// Bounds on message fields; headers and proofs are bounded by the tx size (1 MiB).
const (
	maxProofLen = 16 << 10
	maxAckLen   = 1 << 10
)

var clientIDRe = regexp.MustCompile(`^client-[0-9]{1,19}$`)

func checkAddress(field, s string) error {
	_, err := runtime.ParseAddress(field, s)
	return err
}

func checkClientID(field, id string) error {
	if !clientIDRe.MatchString(id) {
		return runtime.ErrInvalidRequest.Wrapf("%s %q is not a client id (client-<n>)", field, id)
	}
	return nil
}

func checkHeader(field string, h *Header, withTrusted bool) error {
	if len(h.SignedHeader) == 0 || len(h.ValidatorSet) == 0 {
		return ErrInvalidHeader.Wrapf("%s: signed_header and validator_set are required", field)
	}
	if withTrusted && (h.TrustedHeight == 0 || len(h.TrustedValidators) == 0) {
		return ErrInvalidHeader.Wrapf("%s: trusted_height and trusted_validators are required", field)
	}
	return nil
}

func (m *MsgCreateClient) ValidateBasic() error {
	if err := checkAddress("creator", m.Creator); err != nil {
		return err
	}
	if err := checkHeader("header", &m.Header, false); err != nil {
		return err
	}
	return m.Params.Validate()
}

func (m *MsgUpdateClient) ValidateBasic() error {
	if err := checkAddress("relayer", m.Relayer); err != nil {
		return err
	}
	if err := checkClientID("client_id", m.ClientId); err != nil {
		return err
	}
	return checkHeader("header", &m.Header, true)
}

func (m *MsgRegisterCounterparty) ValidateBasic() error {
	if err := checkAddress("creator", m.Creator); err != nil {
		return err
	}
	if err := checkClientID("client_id", m.ClientId); err != nil {
		return err
	}
	return checkClientID("counterparty_client_id", m.CounterpartyClientId)
}

func (m *MsgSubmitMisbehaviour) ValidateBasic() error {
	if err := checkAddress("relayer", m.Relayer); err != nil {
		return err
	}
	if err := checkClientID("client_id", m.ClientId); err != nil {
		return err
	}
	if err := checkHeader("header_1", &m.Header_1, true); err != nil {
		return err
	}
	return checkHeader("header_2", &m.Header_2, true)
}

func (m *MsgRecoverClient) ValidateBasic() error {
	if err := checkAddress("authority", m.Authority); err != nil {
		return err
	}
	if err := checkClientID("subject_client_id", m.SubjectClientId); err != nil {
		return err
	}
	if err := checkClientID("substitute_client_id", m.SubstituteClientId); err != nil {
		return err
	}
	if m.SubjectClientId == m.SubstituteClientId {
		return ErrInvalidRecovery.Wrap("subject and substitute are the same client")
	}
	return nil
}

func (m *MsgTransfer) ValidateBasic() error {
	if err := checkAddress("sender", m.Sender); err != nil {
		return err
	}
	if err := checkClientID("source_client", m.SourceClient); err != nil {
		return err
	}
	// The receiver is an address of the other chain, whose bech32 prefix this chain
	// does not know; its length is bounded, its form checked by the destination.
	if m.Receiver == "" || len(m.Receiver) > 128 {
		return runtime.ErrInvalidAddress.Wrap("receiver: must be an address on the counterparty chain (at most 128 characters)")
	}
	if err := m.Token.Validate(); err != nil || m.Token.Amount.IsZero() {
		return runtime.ErrInvalidCoins.Wrapf("token %s: must be a positive amount of a valid denom", m.Token)
	}
	if len(m.Memo) > MaxMemoLen {
		return runtime.ErrMemoTooLarge.Wrapf("memo is %d bytes, at most %d", len(m.Memo), MaxMemoLen)
	}
	return nil
}

// ValidateBasic of a packet: ids, a sequence, a timeout and one bounded payload.
func (p *Packet) ValidateBasic() error {
	if err := checkClientID("source_client", p.SourceClient); err != nil {
		return err
	}
	if err := checkClientID("destination_client", p.DestinationClient); err != nil {
		return err
	}
	if p.Sequence == 0 || p.TimeoutTimestamp == 0 {
		return ErrInvalidPacket.Wrap("sequence and timeout_timestamp must be positive")
	}
	if len(p.Payloads) != MaxPayloads {
		return ErrInvalidPacket.Wrapf("a packet carries exactly %d payload, this one %d", MaxPayloads, len(p.Payloads))
	}
	for _, pl := range p.Payloads {
		if pl.SourcePort == "" || pl.DestinationPort == "" || len(pl.SourcePort) > 64 || len(pl.DestinationPort) > 64 ||
			len(pl.Version) > 64 || len(pl.Encoding) > 64 || len(pl.Value) > 4<<10 {
			return ErrInvalidPacket.Wrap("payload: ports (1-64 bytes), version and encoding (at most 64) and value (at most 4 KiB)")
		}
	}
	return nil
}

func checkRelay(relayer string, p *Packet, proof []byte, height uint64) error {
	if err := checkAddress("relayer", relayer); err != nil {
		return err
	}
	if err := p.ValidateBasic(); err != nil {
		return err
	}
	if len(proof) == 0 || len(proof) > maxProofLen || height == 0 {
		return ErrInvalidProof.Wrapf("a proof (1..%d bytes) and its proof_height are required", maxProofLen)
	}
	return nil
}

func (m *MsgRecvPacket) ValidateBasic() error {
	return checkRelay(m.Relayer, &m.Packet, m.ProofCommitment, m.ProofHeight)
}

func (m *MsgAcknowledgement) ValidateBasic() error {
	if err := checkRelay(m.Relayer, &m.Packet, m.ProofAcked, m.ProofHeight); err != nil {
		return err
	}
	for _, a := range m.Acknowledgement.AppAcknowledgements {
		if len(a) == 0 || len(a) > maxAckLen {
			return ErrInvalidAcknowledgement.Wrapf("each acknowledgement must be 1..%d bytes", maxAckLen)
		}
	}
	return nil
}

func (m *MsgTimeout) ValidateBasic() error {
	return checkRelay(m.Relayer, &m.Packet, m.ProofUnreceived, m.ProofHeight)
}
