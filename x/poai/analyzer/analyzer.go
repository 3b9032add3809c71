// Package analyzer scores the transactions of a committed block for risk. It runs
// outside the state machine (in the background, after Commit): its output only
// reaches the chain through a validator's signed vote extension, and the chain
// aggregates many validators' scores deterministically. So an analyzer may use
// wall-clock timeouts, the network (an LLM endpoint) and node-local memory.
package analyzer

import (
	"context"
	"fmt"
	"time"

	"github.com/selfchain/selfchain/crypto"
)

// MaxRisk is the highest risk score; scores are integers 0..MaxRisk.
const MaxRisk = 1000

// Transfer is a value movement a tx requested (bank MsgSend / MsgMultiSend).
type Transfer struct {
	From   crypto.Address
	To     crypto.Address // nil until Block.ResolveRecipients when only ToBech32 is set
	Denom  string
	Amount uint64 // saturated at MaxUint64 for larger amounts
	// ToBech32 is the recipient as the message wrote it. The app fills it in
	// FinalizeBlock and the pipeline decodes it into To in the background: a
	// bech32 decode costs ~3 µs, ~15 ms for a block of 5,000 sends.
	ToBech32 string
}

// TxSummary is what the analyzer sees of one committed tx.
type TxSummary struct {
	Hash      [32]byte
	Sender    crypto.Address
	MsgTypes  []string
	Transfers []Transfer
	Success   bool
	GasUsed   uint64
}

// ResolveRecipients decodes every transfer's ToBech32 into To where To is unset.
// An address that does not decode stays nil (the chain validated them all).
func (b *Block) ResolveRecipients() {
	for i := range b.Txs {
		for k := range b.Txs[i].Transfers {
			tr := &b.Txs[i].Transfers[k]
			if tr.To == nil && tr.ToBech32 != "" {
				tr.To, _ = crypto.AddressFromBech32(tr.ToBech32)
			}
		}
	}
}

// Block is a committed block handed to the analyzer.
type Block struct {
	Height int64
	Hash   []byte
	Txs    []TxSummary
	// Selected are the tx indices (strictly increasing) the validator will report;
	// an analyzer must score at least these (it may score more).
	Selected []uint32
}

// Report is an analyzer's answer for one block.
type Report struct {
	Height    int64
	BlockHash []byte
	ModelID   string
	// Risks[i] is the risk of Block.Txs[i] (0..MaxRisk); nil when Off.
	Risks []uint32
	// ByModel, when not nil, are the tx indices (increasing) ModelID's model
	// scored; the built-in model scored the others. Nil: the model scored them all.
	ByModel []uint32
	// Fallback is set when the configured model failed and the built-in model's
	// scores were used instead; Note says why (logged by the node).
	Fallback bool
	Note     string
	// LLM is the model call behind the report (nil when none was made), for the
	// node's log and metrics.
	LLM *LLMCall
}

// LLMCall is one request to the model endpoint.
type LLMCall struct {
	Latency time.Duration
	Txs     int // transactions in the prompt
	// PromptTokens and CompletionTokens are the endpoint's "usage" (0 when it sends none).
	PromptTokens, CompletionTokens int
	// Err is why the answer was not used (nil: it was).
	Err error
}

// Analyzer scores a committed block. Implementations are called from one
// goroutine, in height order, and may keep history between calls (a Staged
// analyzer's second part excepted).
type Analyzer interface {
	ModelID() string
	Analyze(ctx context.Context, b Block) (Report, error)
}

// Staged analyzers split Analyze in two: Prepare runs in height order (it may
// keep history) and returns the rest of the work (a model call), which may run
// concurrently with later blocks' so that a model slower than the block time
// keeps up. Analyze(ctx, b) is Prepare(ctx, b)(ctx).
type Staged interface {
	Analyzer
	Prepare(ctx context.Context, b Block) func(context.Context) Report
}

// Modes accepted in app.toml [poai] analyzer.
const (
	ModeBuiltin = "builtin"
	ModeLLM     = "llm"
	ModeOff     = "off"
	// ModeRandomTestOnly scores at random: a deliberately dishonest validator for
	// network tests. Never use it on a real network (it costs the validator its
	// reputation, which is the point of the test).
	ModeRandomTestOnly = "random-test-only"
)

// New builds the analyzer a mode names; ModeOff yields nil (no extension data).
func New(mode string, llm LLMConfig, builtin BuiltinConfig) (Analyzer, error) {
	switch mode {
	case ModeBuiltin, "":
		return NewBuiltin(builtin), nil
	case ModeLLM:
		return NewLLM(llm, NewBuiltin(builtin))
	case ModeOff:
		return nil, nil
	case ModeRandomTestOnly:
		return NewRandom(0), nil
	default:
		return nil, fmt.Errorf("unknown analyzer %q: want %s, %s, %s or %s", mode, ModeBuiltin, ModeLLM, ModeOff, ModeRandomTestOnly)
	}
}

func clampRisk(v int64) uint32 {
	if v < 0 {
		return 0
	}
	if v > MaxRisk {
		return MaxRisk
	}
	return uint32(v)
}
