package auth

import (
	"errors"
	"fmt"
)

// Defaults of the auth parameters. SigVerifyCost prices an ed25519
// verification; post-quantum key types will be charged more.
const (
	DefaultMaxMemoCharacters uint64 = 256
	DefaultTxSizeCostPerByte uint64 = 10
	DefaultSigVerifyCost     uint64 = 1000
	// DefaultMaxTxGas is above the largest tx the default params allow (32
	// multi-sends of 100 outputs to new accounts: 39.4M gas) and keeps one tx
	// from declaring the block's whole budget.
	DefaultMaxTxGas uint64 = 100_000_000
	// MaxTxGasLimit keeps max_tx_gas (and so every gas_wanted) inside int64.
	MaxTxGasLimit uint64 = 1 << 62
)

func DefaultParams() Params {
	return Params{
		MaxMemoCharacters: DefaultMaxMemoCharacters,
		TxSizeCostPerByte: DefaultTxSizeCostPerByte,
		SigVerifyCost:     DefaultSigVerifyCost,
		MaxTxGas:          DefaultMaxTxGas,
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
	case p.MaxTxGas == 0 || p.MaxTxGas > MaxTxGasLimit:
		return fmt.Errorf("max_tx_gas: %d is not in 1..%d", p.MaxTxGas, MaxTxGasLimit)
	}
	return nil
}
