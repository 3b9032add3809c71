// Package bank keeps balances, total supply and denominations, and moves coins.
//
// State (store "bank", collections): balances by (address, denom) as minimal
// big-endian integers (0x01), supply by denom (0x02), denomination metadata (0x03),
// params (0x04). Invariants: zero amounts are deleted, never stored; every denom with
// a balance has metadata (metadata is never deleted); a denom's supply is the sum of
// its balances, so only minting can overflow and it is checked there.
//
// SendCoins relies on the second invariant: it reads metadata only to explain a
// shortfall, so a send costs one Get and one Set per (account, denom) side. Every
// debit checks all denoms before writing any, so a failed send or fee payment
// changes nothing even outside a cached branch.
package bank
