package bridge

// Event types and attributes: the relayer and explorers follow packets by them.
const (
	EventTypeCreateClient         = "create_client"
	EventTypeUpdateClient         = "update_client"
	EventTypeClientFrozen         = "client_frozen"
	EventTypeRecoverClient        = "recover_client"
	EventTypeRegisterCounterparty = "register_counterparty"
	EventTypeSendPacket           = "send_packet"
	EventTypeRecvPacket           = "recv_packet"
	EventTypeAcknowledgePacket    = "acknowledge_packet"
	EventTypeTimeoutPacket        = "timeout_packet"

	AttrClientID     = "client_id"
	AttrChainID      = "chain_id"
	AttrHeight       = "height"
	AttrReason       = "reason"
	AttrSubstitute   = "substitute_client_id"
	AttrCounterparty = "counterparty_client_id"
	AttrSourceClient = "source_client"
	AttrDestClient   = "destination_client"
	AttrSequence     = "sequence"
	AttrTimeout      = "timeout_timestamp"
	AttrSuccess      = "success"
	AttrError        = "error"
)
