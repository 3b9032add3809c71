// Command llmstub is a small OpenAI-compatible chat-completions server standing
// in for a validator's model in benchmarks (`make bench` with
// BENCH_POAI_ANALYZER=llm): it answers every prompt of the PoAI LLM analyzer after
// --latency, rating each tx --risk (0 by default). The model is not ours to
// measure; the node's handling of a slow one is.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:36800", "address to serve on (loopback)")
	latency := flag.Duration("latency", 2*time.Second, "time before each answer")
	risk := flag.Int("risk", 0, "the risk (0..1000) every tx gets")
	flag.Parse()
	var calls atomic.Int64
	http.HandleFunc("/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
			http.Error(w, "want a chat-completions request", http.StatusBadRequest)
			return
		}
		var txs []struct {
			Index uint32 `json:"index"`
		}
		_ = json.Unmarshal([]byte(req.Messages[len(req.Messages)-1].Content), &txs)
		select {
		case <-time.After(*latency):
		case <-r.Context().Done():
			return
		}
		parts := make([]string, len(txs))
		for i, tx := range txs {
			parts[i] = fmt.Sprintf(`{"index":%d,"risk":%d}`, tx.Index, *risk)
		}
		calls.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": `{"scores":[` + strings.Join(parts, ",") + `]}`}}},
			"usage":   map[string]any{"prompt_tokens": 60 * len(txs), "completion_tokens": 12 * len(txs)},
		})
	})
	log.Printf("llmstub: serving http://%s/v1 (latency %s, risk %d)", *listen, *latency, *risk)
	go func() {
		for range time.Tick(10 * time.Second) {
			log.Printf("llmstub: %d answers", calls.Load())
		}
	}()
	log.Fatal(http.ListenAndServe(*listen, nil))
}
