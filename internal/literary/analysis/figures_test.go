package analysis

import (
	"context"
	"testing"
)

// TestNotInStory checks that figures a story only refers to stay out of the
// cast while people who are only talked about, or who ask for a nickname
// that is then used, stay in it.
func TestNotInStory(t *testing.T) {
	cases := []struct {
		name       string
		text       string
		gone, kept []string
	}{
		{
			name: "maker named for the works",
			text: `Clara laid down her book. "I have been reading Averill's sonnets again," she said. "Nobody wrote of the sea as Averill knew it."

"You live in Averill's plays," said Edmund. "I had rather you lived in the world."

"The world is dull," said Clara. "Averill's verses are not."

Edmund laughed. "Then I shall ask Mr. Thorne. Mr. Thorne's grandson was a sailor, and Mr. Thorne knew the sea better than any poet."

"Mr. Thorne is a dear old man," said Clara, "but he has no music in him."
`,
			gone: []string{"Averill"},
			kept: []string{"Clara", "Edmund", "Thorne"},
		},
		{
			name: "maker after a work, or measured out",
			text: `After dinner Lucy sat down at the piano and played the sonatas of Corvino.

"Too much Corvino," said Mr. Hale when she had finished. "Corvino knew nothing of small rooms."

"Then we shall have some Corvino," said Lucy, "in the church, where Mr. Hale cannot complain."
`,
			gone: []string{"Corvino"},
			kept: []string{"Lucy", "Hale"},
		},
		{
			name: "a maker once read as addressed",
			text: `The programme was pinned up: "Miss Hale. Piano. Corvino," and Mr. Beebe read it twice.

Lucy Hale played the sonatas of Corvino. "Too much Corvino," said Mr. Beebe to Lucy Hale. "Now some Corvino!" called Cecil, and Lucy Hale played on. Mr. Beebe put it down to too much Corvino.
`,
			gone: []string{"Corvino"},
			kept: []string{"Lucy", "Beebe"},
		},
		{
			name: "a novelist of the story stays",
			text: `Miss Lark came into the parlour with a parcel. "My new novel," said Miss Lark, laying it down.

"Miss Lark's novel is the talk of the town," said Henry.

"Do you like Miss Lark's novels, Henry?" asked Jane.

"I like Miss Lark," said Henry, and Miss Lark smiled at Jane.
`,
			kept: []string{"Lark", "Henry", "Jane"},
		},
		{
			name: "a figure of folklore",
			text: `The stranger went down the lane with his hat pulled low, and Tom ran behind him.

"Look, there goes the Bogey Man!" cried the children from the wall. "Run, Bogey Man, run!"

Tom stopped at the gate. "Mrs. Pratt says he is a tinker," said Tom. "Mrs. Pratt knew a tinker once."

"Mrs. Pratt knows everybody," said Susan, and Susan laughed.
`,
			gone: []string{"Bogey"},
			kept: []string{"Tom", "Susan", "Pratt"},
		},
		{
			name: "a persona asked for and imagined",
			text: `"What is your name, child?" asked Mrs. Bell.

Polly Hart hesitated. "Will you please call me Rosamund?" she said. "I would so love to be called Rosamund."

"Whatever for?" said Mrs. Bell.

"My name is only Polly," said Polly Hart. "But when I walk in the wood I always imagine I'm the Lady Rosamund, and the Lady Rosamund has a castle."

Mrs. Bell laughed. "Polly will do very well," she said.
`,
			gone: []string{"Rosamund"},
			kept: []string{"Polly", "Bell"},
		},
		{
			name: "one of a family",
			text: `Mrs. Dane had been born a Varley, and Mrs. Dane never let anyone forget that she was a Varley.

"Nobody knows what a Varley is," said Mr. Cole to Mrs. Dane.

"A Varley, sir," said Mrs. Dane, "is a Varley." Mr. Cole bowed to Mrs. Dane.

"I beg your pardon, Mrs. Varley," said Mr. Cole, who had forgotten her name.
`,
			gone: []string{"Varley"},
			kept: []string{"Dane", "Cole"},
		},
		{
			name: "a town people come from",
			text: `Mr. Grey came from Ashford on Monday, with a gentleman from Ashford beside him.

"It is the old church, Ashford, under the hill," said Mr. Grey to Mrs. Lamb.

Mrs. Lamb had a letter from Ashford. Mrs. Lamb had lived in Ashford once, and Mr. Grey smiled at Mrs. Lamb.
`,
			gone: []string{"Ashford"},
			kept: []string{"Grey", "Lamb"},
		},
		{
			name: "a place whose verbs have other subjects",
			text: `Nell walked past Brightwater with Mr. Ames. Beyond Brightwater came the beech wood, and from Brightwater came the mist.

"I named the pool Brightwater," said Nell to Mr. Ames.

After the Larkspurs came the roses. Nell picked the Larkspurs, and Mr. Ames laughed at Nell.
`,
			gone: []string{"Brightwater", "Larkspurs"},
			kept: []string{"Nell", "Ames"},
		},
		{
			name: "a name set off in quotation marks",
			text: `They drove through the "Gallery." The "Gallery," as the village called the lane, was Nell's delight.

"They should not call it the Gallery," said Nell to Mr. Ames. Mr. Ames smiled at Nell.

Mr. Ames told Nell that the "Gallery" was older than the church.
`,
			gone: []string{"Gallery"},
			kept: []string{"Nell", "Ames"},
		},
		{
			name: "a nickname asked for and used stays",
			text: `"Please call me Kit," said Christopher Vane. "Everybody at home calls me Kit."

"Very well, Kit," said Mrs. Bell.

Kit bowed, and Kit went out to the garden, where Mrs. Bell found him an hour later.
`,
			kept: []string{"Kit", "Bell"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Analyze(context.Background(), tc.text, Options{MinMentions: 2})
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			for _, n := range tc.gone {
				if hasTopName(res.Characters, len(res.Characters), n) {
					t.Errorf("%q is in the cast %v", n, castNames(res))
				}
			}
			for _, n := range tc.kept {
				if !hasTopName(res.Characters, len(res.Characters), n) {
					t.Errorf("%q is not in the cast %v", n, castNames(res))
				}
			}
		})
	}
}

func castNames(res *Result) []string {
	var out []string
	for _, c := range res.Characters {
		out = append(out, c.Name)
	}
	return out
}
