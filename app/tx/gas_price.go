package tx

import (
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"

	"github.com/selfchain/selfchain/types"
)

// GasPrice is a decimal price per unit of gas in one denom, e.g. 0.001uself.
// Kept as an exact fraction (Num / 10^Decimals): no floating point anywhere.
type GasPrice struct {
	Denom    string
	Num      *big.Int
	Decimals int
}

// GasPrices is a node-local minimum; a fee passes when it covers any one of them.
type GasPrices []GasPrice

var gasPriceRe = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]{1,18}))?([a-zA-Z][a-zA-Z0-9/:._-]{2,127})$`)

// ParseGasPrices parses "0.001uself,0.5uatom"; "" means no minimum.
func ParseGasPrices(s string) (GasPrices, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out GasPrices
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		m := gasPriceRe.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("invalid gas price %q: want <decimal><denom>, e.g. 0.001uself", part)
		}
		num, _ := new(big.Int).SetString(m[1]+m[2], 10)
		out = append(out, GasPrice{Denom: m[3], Num: num, Decimals: len(m[2])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Denom < out[j].Denom })
	return out, nil
}

// Required returns ceil(price * gas) in the price's denom.
func (p GasPrice) Required(gas uint64) types.Int {
	v := new(big.Int).Mul(p.Num, new(big.Int).SetUint64(gas))
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p.Decimals)), nil)
	q, r := new(big.Int).QuoRem(v, den, new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	out, err := types.ParseInt(q.String())
	if err != nil { // only when price*gas exceeds 2^256: no fee can pay it
		return types.Int{}
	}
	return out
}

func (p GasPrice) String() string {
	s := p.Num.String()
	if p.Decimals > 0 {
		for len(s) <= p.Decimals {
			s = "0" + s
		}
		s = s[:len(s)-p.Decimals] + "." + s[len(s)-p.Decimals:]
	}
	return s + p.Denom
}

func (ps GasPrices) String() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// Covers reports whether fee pays for gas at any one of the prices (all zero prices: always).
func (ps GasPrices) Covers(fee types.Coins, gas uint64) (bool, string) {
	if len(ps) == 0 {
		return true, ""
	}
	var need []string
	for _, p := range ps {
		req := p.Required(gas)
		if req.IsZero() && p.Num.Sign() == 0 {
			return true, ""
		}
		if fee.AmountOf(p.Denom).GTE(req) && !req.IsZero() {
			return true, ""
		}
		need = append(need, req.String()+p.Denom)
	}
	return false, strings.Join(need, " or ")
}
