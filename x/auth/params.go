package auth

import "errors"

// Defaults of the auth parameters. SigVerifyCost prices an ed25519
// verification; post-quantum key types will be charged more.
const (
	DefaultMaxMemoCharacters uint64 = 256
	DefaultTxSizeCostPerByte uint64 = 10
	DefaultSigVerifyCost     uint64 = 1000
)

func DefaultParams() Params {
	return Params{
		MaxMemoCharacters: DefaultMaxMemoCharacters,
		TxSizeCostPerByte: DefaultTxSizeCostPerByte,
		SigVerifyCost:     DefaultSigVerifyCost,
	}
}

// Validate rejects zero values: a zero cost would make txs free to spam, and a
// zero memo limit is almost certainly a genesis typo.
func (p Params) Validate() error {
	switch {
	case p.MaxMemoCharacters == 0:
		return errors.New("max_memo_characters: must be positive")
	case p.TxSizeCostPerByte == 0:
		return errors.New("tx_size_cost_per_byte: must be positive")
	case p.SigVerifyCost == 0:
		return errors.New("sig_verify_cost: must be positive")
	}
	return nil
}
