package casting

import (
	"slices"
	"testing"
)

func TestHabits(t *testing.T) {
	cases := []struct {
		name  string
		lines []string
		want  []string
	}{
		{"a title is no oath", []string{"Lord St. Simon has come.", "I saw Lord St. Simon.", "Tell Lord Robert I am here."}, nil},
		{"an exclamation is", []string{"Lord! how you talk.", "Lord, what a day!", "Oh, Lord? Never."}, []string{"lord"}},
		{"a tic said twice", []string{"I dare say he will.", "Well, I dare say.", "No."}, []string{"I dare say"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := habits(oaths, tc.lines, 2); !slices.Equal(got, tc.want) {
				t.Errorf("habits = %q, want %q", got, tc.want)
			}
		})
	}
}
