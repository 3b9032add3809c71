package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
)

// account is one sender of the run.
type account struct {
	key       crypto.PrivKey
	signer    tx.KeySigner
	addr      string
	number    uint64
	sequence  uint64 // committed sequence when the run starts
	hasPubKey bool   // its public key is on chain already (a rerun with the same --seed)
}

// deriveAccounts makes n keyType keys from sha256("selfchain-loadgen/<seed>/<i>"):
// the same seed gives the same accounts on every run.
func deriveAccounts(keyType, seed string, n int) ([]*account, error) {
	scheme, ok := crypto.Scheme(keyType)
	if !ok {
		return nil, fmt.Errorf("key scheme %s is not registered", keyType)
	}
	out := make([]*account, n)
	for i := range out {
		s := sha256.Sum256([]byte("selfchain-loadgen/" + seed + "/" + strconv.Itoa(i)))
		k, err := scheme.PrivKeyFromSeed(s[:])
		if err != nil {
			return nil, err
		}
		out[i] = &account{key: k, signer: tx.KeySigner{Key: k}, addr: k.PubKey().Address().String()}
	}
	return out, nil
}

func queryAccount(ctx context.Context, rpc *rpchttp.HTTP, addr string) (auth.GenesisAccount, error) {
	resp, err := auth.NewQueryClient(client.FromRPC(rpc)).Account(ctx, &auth.QueryAccountRequest{Address: addr})
	if err != nil {
		return auth.GenesisAccount{}, err
	}
	return resp.Account, nil
}

// faucetKey derives the faucet's key from its mnemonic file. With --faucet-key-type
// auto it tries every registered key type (`keys add` may create a type other than
// ed25519) and takes the one whose account exists on chain.
func faucetKey(ctx context.Context, rpc *rpchttp.HTTP, cfg *config) (crypto.PrivKey, auth.GenesisAccount, error) {
	raw, err := os.ReadFile(cfg.mnemonicFile)
	if err != nil {
		return nil, auth.GenesisAccount{}, fmt.Errorf("faucet mnemonic: %w", err)
	}
	mnemonic := strings.TrimSpace(string(raw))
	candidates := []string{cfg.faucetKeyType}
	if cfg.faucetKeyType == "auto" {
		candidates = crypto.Schemes()
	}
	var tried []string
	for _, kt := range candidates {
		k, err := crypto.DeriveKey(kt, mnemonic, "", 0)
		if err != nil {
			if cfg.faucetKeyType != "auto" {
				return nil, auth.GenesisAccount{}, fmt.Errorf("faucet key from %s: %w", cfg.mnemonicFile, err)
			}
			continue
		}
		addr := k.PubKey().Address().String()
		acc, err := queryAccount(ctx, rpc, addr)
		if err == nil {
			return k, acc, nil
		}
		if !client.IsNotFound(err) {
			return nil, auth.GenesisAccount{}, fmt.Errorf("faucet account %s: %w", addr, err)
		}
		tried = append(tried, kt+" "+addr)
	}
	return nil, auth.GenesisAccount{}, fmt.Errorf("no account on chain for the mnemonic in %s (tried %s)", cfg.mnemonicFile, strings.Join(tried, ", "))
}

// fund sends every account enough for perAccount transfers (fees and amounts,
// twice over) from the faucet, in MsgMultiSend txs, and waits until they commit.
// fee is the largest fee of one transfer (that of an account's first tx).
func fund(ctx context.Context, rpc *rpchttp.HTTP, cfg *config, price tx.GasPrice, accts []*account, perAccount int, fee types.Int) error {
	fkey, facc, err := faucetKey(ctx, rpc, cfg)
	if err != nil {
		return err
	}
	faucet := facc.Address

	maxOut := bank.DefaultMaxMultiSendOutputs
	if bp, err := bank.NewQueryClient(client.FromRPC(rpc)).Params(ctx, &bank.QueryParamsRequest{}); err == nil && bp.Params.MaxMultiSendOutputs > 0 {
		maxOut = int(bp.Params.MaxMultiSendOutputs)
	}

	// Each account pays perAccount fees and amounts; give it twice that and a margin.
	need := uint64(perAccount+10) * 2
	feeAmt, err := fee.MulUint64(need)
	if err != nil {
		return err
	}
	each, err := types.NewCoins(types.Coin{Denom: price.Denom, Amount: feeAmt})
	if err != nil {
		return err
	}
	amt, err := types.NewCoins(types.NewCoin(cfg.denom, cfg.amount*need))
	if err != nil {
		return err
	}
	if each, err = each.Add(amt); err != nil {
		return err
	}
	fundFee := types.Coins{{Denom: price.Denom, Amount: price.Required(cfg.fundGas)}}

	var txs [][]byte
	for start := 0; start < len(accts); start += maxOut {
		end := min(start+maxOut, len(accts))
		msg := &bank.MsgMultiSend{}
		var sum types.Coins
		for _, a := range accts[start:end] {
			msg.Outputs = append(msg.Outputs, bank.Output{Address: a.addr, Coins: each})
			if sum, err = sum.Add(each); err != nil {
				return err
			}
		}
		msg.Input = bank.Input{Address: faucet, Coins: sum}
		b := tx.Builder{Msgs: []runtime.Msg{msg}, Memo: "loadgen funding", Fee: fundFee, GasLimit: cfg.fundGas,
			IncludePubKey: facc.PublicKey == nil && len(txs) == 0}
		bz, err := b.Sign(cfg.chainID, facc.AccountNumber, facc.Sequence+uint64(len(txs)), tx.KeySigner{Key: fkey})
		if err != nil {
			return err
		}
		txs = append(txs, bz)
	}

	logf("faucet %s sends %d funding txs (%s to each of %d accounts); waiting for commit", faucet, len(txs), each, len(accts))
	return broadcastAndWait(ctx, rpc, txs, "funding tx")
}

// broadcastAndWait submits txs (broadcast_tx_sync, in order) and scans the blocks
// from the current height on until every one of them is in a block with code 0.
func broadcastAndWait(ctx context.Context, rpc *rpchttp.HTTP, txs [][]byte, what string) error {
	st, err := rpc.Status(ctx)
	if err != nil {
		return err
	}
	fromHeight := st.SyncInfo.LatestBlockHeight + 1
	pending := map[[32]byte]int{}
	for i, bz := range txs {
		res, err := rpc.BroadcastTxSync(ctx, bz)
		if err != nil {
			return fmt.Errorf("%s %d: %w", what, i, err)
		}
		if res.Code != 0 {
			return fmt.Errorf("%s %d rejected: %s/%d: %s", what, i, res.Codespace, res.Code, res.Log)
		}
		pending[sha256.Sum256(bz)] = i
	}
	for h := fromHeight; len(pending) > 0; {
		blk, results, err := fetchBlock(ctx, rpc, h)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s not committed: %w", what, ctx.Err())
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		for i, t := range blk {
			hash := sha256.Sum256(t)
			if idx, ok := pending[hash]; ok {
				if r := results[i]; r.Code != 0 {
					return fmt.Errorf("%s %d (%s) failed in block %d: %s/%d: %s",
						what, idx, strings.ToUpper(hex.EncodeToString(hash[:])), h, r.Codespace, r.Code, r.Log)
				}
				delete(pending, hash)
			}
		}
		h++
	}
	return nil
}

// loadAccountNumbers reads each account's number and sequence (state after funding).
func loadAccountNumbers(ctx context.Context, rpc *rpchttp.HTTP, accts []*account) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan *account)
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range next {
				acc, err := queryAccount(ctx, rpc, a.addr)
				if err != nil {
					if client.IsNotFound(err) {
						err = fmt.Errorf("account %s does not exist after funding", a.addr)
					}
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				a.number, a.sequence, a.hasPubKey = acc.AccountNumber, acc.Sequence, acc.PublicKey != nil
			}
		}()
	}
	for _, a := range accts {
		next <- a
	}
	close(next)
	wg.Wait()
	return firstErr
}
