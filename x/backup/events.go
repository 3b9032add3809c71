package backup

// Event types and attributes: the owner's agent and the holder daemon follow
// agreements and challenges by them.
const (
	EventTypePropose        = "backup_propose"
	EventTypeAccept         = "backup_accept"
	EventTypeReject         = "backup_reject"
	EventTypeCommitManifest = "backup_commit_manifest"
	EventTypeChallenge      = "backup_challenge"
	EventTypeProof          = "backup_proof"
	EventTypeMiss           = "backup_challenge_missed"
	EventTypeEnding         = "backup_ending"
	EventTypePayment        = "backup_payment"
	EventTypeClosed         = "backup_closed"

	AttrAgreementID = "agreement_id"
	AttrOwner       = "owner"
	AttrHolder      = "holder"
	AttrNodeID      = "holder_node_id"
	AttrRevision    = "revision"
	AttrRoot        = "root"
	AttrChunkIndex  = "chunk_index"
	AttrSeed        = "seed"
	AttrDeadline    = "deadline_height"
	AttrContainment = "containment"
	AttrEndHeight   = "end_height"
	AttrAmount      = "amount"
	AttrStatus      = "status"
	AttrSlashed     = "slashed"
)
