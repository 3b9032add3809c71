// Package auth keeps accounts: address, account number, sequence and public key.
//
// State (store "auth", collections): accounts by address bytes (0x01), the next
// account number (0x02), params (0x03). An address gets an account, and the next
// number, the first time it receives funds (bank calls EnsureAccount) or at genesis;
// the ante pipeline sets the public key on the first signed tx and bumps the sequence.
// Module addresses (e.g. bank's fee collector) hold funds without an account.
//
// Genesis order matters: auth's InitGenesis runs before any module that creates
// accounts, and refuses to run over existing accounts, so numbers cannot collide.
package auth
