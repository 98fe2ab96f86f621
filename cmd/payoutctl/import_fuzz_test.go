package main

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
)

// FuzzImportRows feeds arbitrary files to import's parser: it never panics,
// every row it keeps passes the intake's validation, and no id is kept twice.
func FuzzImportRows(f *testing.F) {
	f.Add("third_party_id,currency,to_address,amount\np-1,195@195,TA,1.5\n")
	f.Add("third_party_id,amount,metadata,wallet_id\np,1,\"{\"\"a\"\":1}\",12\nq,1,[1],x\n")
	f.Add("third_party_id,currency\n\"unterminated\n")
	f.Fuzz(func(t *testing.T, file string) {
		r := csv.NewReader(strings.NewReader(file))
		r.FieldsPerRecord = -1
		header, err := r.Read()
		if err != nil || checkHeader(header) != nil {
			return
		}
		rows, _, err := readRows(context.Background(), r, header)
		if err != nil {
			t.Fatalf("a string reader failed: %v", err)
		}
		ids := map[string]bool{}
		for _, row := range rows {
			if err := row.req.Validate(context.Background(), importDecimals{}); err != nil {
				t.Errorf("line %d kept but invalid: %v", row.line, err)
			}
			if ids[row.req.ThirdPartyID] {
				t.Errorf("line %d: id %q kept twice", row.line, row.req.ThirdPartyID)
			}
			ids[row.req.ThirdPartyID] = true
		}
	})
}
