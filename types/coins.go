package types

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// MaxDenomsPerCoins bounds the coins of one amount (a tx field), so a
// message cannot make the chain loop over thousands of denominations.
const MaxDenomsPerCoins = 16

var denomRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$`)

// ValidateDenom checks a denomination's syntax (as in the Cosmos SDK).
func ValidateDenom(d string) error {
	if !denomRe.MatchString(d) {
		return fmt.Errorf("invalid denom %q: want 3-128 characters, a letter first, then letters, digits or /:._-", d)
	}
	return nil
}

func NewCoin(denom string, amount uint64) Coin { return Coin{Denom: denom, Amount: NewInt(amount)} }

func (c Coin) String() string { return c.Amount.String() + c.Denom }

// Validate checks the denom and that the amount is positive.
func (c Coin) Validate() error {
	if err := ValidateDenom(c.Denom); err != nil {
		return err
	}
	if c.Amount.IsZero() {
		return fmt.Errorf("amount of %s must be positive", c.Denom)
	}
	return nil
}

// Coins is a set of coins sorted by denom, each positive and at most once.
type Coins []Coin

func NewCoins(cs ...Coin) (Coins, error) {
	out := append(Coins(nil), cs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Denom < out[j].Denom })
	return out, out.Validate()
}

// Validate checks the canonical form: sorted, no duplicates, all positive, bounded.
func (cs Coins) Validate() error {
	if len(cs) > MaxDenomsPerCoins {
		return fmt.Errorf("too many denominations: %d (at most %d)", len(cs), MaxDenomsPerCoins)
	}
	for i, c := range cs {
		if err := c.Validate(); err != nil {
			return err
		}
		if i > 0 && cs[i-1].Denom >= c.Denom {
			if cs[i-1].Denom == c.Denom {
				return fmt.Errorf("duplicate denom %s", c.Denom)
			}
			return fmt.Errorf("coins not sorted by denom: %s before %s", cs[i-1].Denom, c.Denom)
		}
	}
	return nil
}

func (cs Coins) IsZero() bool { return len(cs) == 0 }

func (cs Coins) String() string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, ",")
}

// AmountOf returns the amount of denom (zero when absent).
func (cs Coins) AmountOf(denom string) Int {
	for _, c := range cs {
		if c.Denom == denom {
			return c.Amount
		}
	}
	return Int{}
}

// Add returns the sum of two canonical coin sets, or an overflow error.
func (cs Coins) Add(o Coins) (Coins, error) {
	out := make(Coins, 0, len(cs)+len(o))
	i, j := 0, 0
	for i < len(cs) || j < len(o) {
		switch {
		case j == len(o) || (i < len(cs) && cs[i].Denom < o[j].Denom):
			out = append(out, cs[i])
			i++
		case i == len(cs) || o[j].Denom < cs[i].Denom:
			out = append(out, o[j])
			j++
		default:
			sum, err := cs[i].Amount.Add(o[j].Amount)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", cs[i].Denom, err)
			}
			out = append(out, Coin{Denom: cs[i].Denom, Amount: sum})
			i++
			j++
		}
	}
	return out, nil
}

var coinRe = regexp.MustCompile(`^([0-9]+)([a-zA-Z][a-zA-Z0-9/:._-]{2,127})$`)

// ParseCoins parses "1000uself,5uatom" (the CLI form) into canonical Coins.
func ParseCoins(s string) (Coins, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty amount: want e.g. 1000uself")
	}
	var out Coins
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if strings.HasPrefix(part, "-") {
			return nil, fmt.Errorf("invalid coin %q: negative amounts are not allowed", part)
		}
		m := coinRe.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("invalid coin %q: want <amount><denom>, e.g. 1000uself", part)
		}
		amt, err := ParseInt(m[1])
		if err != nil {
			return nil, fmt.Errorf("invalid coin %q: %w", part, err)
		}
		out = append(out, Coin{Denom: m[2], Amount: amt})
	}
	return NewCoins(out...)
}
