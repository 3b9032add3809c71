package backup

import "fmt"

// Hard caps no param can raise: they bound what one block touches.
const (
	MaxChallengesPerBlockCap = 20_000
	MaxAgreementsPerOwnerCap = 1_000
	MaxAgreementsPerHolder   = 10_000
	MaxMissesCap             = 100
	// maxQueueWork bounds the payments, ends, deadlines and prunes one block
	// processes (each); the rest wait for the next block.
	maxQueueWork = 1_000
)

func DefaultParams() Params {
	return Params{
		EpochBlocks:            14_400, // ~1 day at 6 s blocks
		ChallengeInterval:      10,
		ChallengesPerBlock:     100,
		ProofWindow:            100, // ~10 min
		MaxMisses:              3,
		SlashFractionBps:       1_000, // 10%
		MaxAgreementsPerOwner:  32,
		MaxAgreementsPerHolder: 256,
		MaxChunkCount:          1 << 24, // 16 TiB of 1 MiB chunks
		MaxNoticeEpochs:        90,
		RetainBlocks:           100_800, // ~1 week
	}
}

func (p Params) Validate() error {
	switch {
	case p.EpochBlocks == 0 || p.EpochBlocks > 1<<32:
		return fmt.Errorf("epoch_blocks: %d is not in 1..2^32", p.EpochBlocks)
	case p.ChallengeInterval == 0 || p.ChallengeInterval > 1<<32:
		return fmt.Errorf("challenge_interval: %d is not in 1..2^32", p.ChallengeInterval)
	case p.ChallengesPerBlock > MaxChallengesPerBlockCap:
		return fmt.Errorf("challenges_per_block: %d is over %d", p.ChallengesPerBlock, MaxChallengesPerBlockCap)
	case p.ProofWindow == 0 || p.ProofWindow > 1<<32:
		return fmt.Errorf("proof_window: %d is not in 1..2^32", p.ProofWindow)
	case p.MaxMisses == 0 || p.MaxMisses > MaxMissesCap:
		return fmt.Errorf("max_misses: %d is not in 1..%d", p.MaxMisses, MaxMissesCap)
	case p.SlashFractionBps == 0 || p.SlashFractionBps > 10_000:
		return fmt.Errorf("slash_fraction_bps: %d is not in 1..10000", p.SlashFractionBps)
	case p.MaxAgreementsPerOwner == 0 || p.MaxAgreementsPerOwner > MaxAgreementsPerOwnerCap:
		return fmt.Errorf("max_agreements_per_owner: %d is not in 1..%d", p.MaxAgreementsPerOwner, MaxAgreementsPerOwnerCap)
	case p.MaxAgreementsPerHolder == 0 || p.MaxAgreementsPerHolder > MaxAgreementsPerHolder:
		return fmt.Errorf("max_agreements_per_holder: %d is not in 1..%d", p.MaxAgreementsPerHolder, MaxAgreementsPerHolder)
	case p.MaxChunkCount == 0 || p.MaxChunkCount > 1<<40:
		return fmt.Errorf("max_chunk_count: %d is not in 1..2^40", p.MaxChunkCount)
	case p.MaxNoticeEpochs == 0 || p.MaxNoticeEpochs > 1<<16:
		return fmt.Errorf("max_notice_epochs: %d is not in 1..65536", p.MaxNoticeEpochs)
	case p.RetainBlocks == 0 || p.RetainBlocks > 1<<40:
		return fmt.Errorf("retain_blocks: %d is not in 1..2^40", p.RetainBlocks)
	}
	return nil
}
