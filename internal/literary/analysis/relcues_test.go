package analysis

import (
	"context"
	"strings"
	"testing"
)

// TestRelationCues: what a line or a sentence says about two people, and what it does
// not. Each passage names Mr. Hale and Miss Grey often enough to be characters; the
// pair gets want, or anything but notWant.
func TestRelationCues(t *testing.T) {
	const opening = "Mr. Hale lived at the mill. Miss Grey lived at the rectory. Mr. Hale and Miss Grey met on Sundays; Miss Grey liked Mr. Hale.\n\n"
	for _, tc := range []struct {
		name, text    string
		want, notWant string
	}{
		{"two joined by and", "Mr. Hale and Miss Grey were married in the spring.", "romance", ""},
		{"two clauses joined by and", "Mr. Hale walked in, and Miss Grey was engaged with her sewing.", "", "romance"},
		{"the other party after a comma", "“You were to be married this year, I thought,” said Mr. Hale to Miss Grey.\n\n“No,” said Miss Grey.", "", "romance"},
		{"married as a describing word", "Mr. Hale saw a married lady with Miss Grey.", "", "romance"},
		{"I and you named by the tag and the address", "“I will marry you, Mr. Hale,” said Miss Grey.", "romance", ""},
		{"I and you guessed from the turns", "“Is it true?”\n\n“It is.”\n\n“Then I cannot marry you.”\n\n“I know it.”", "", "romance"},
		{"words cited in narration", "Miss Grey heard the words “my brother, Mr. Hale,” repeated twice.", "", "family"},
		{"a marriage denied", "There was no danger of Mr. Hale's marrying Miss Grey.", "", "romance"},
		{"a marriage doubted", "Nothing will convince me that Mr. Hale has any thought of marrying Miss Grey.", "", "romance"},
		{"a rumoured engagement", "Mr. Hale laughed at his supposed engagement with Miss Grey.", "", "romance"},
		{"engaged meaning busy", "Mr. Hale and Miss Grey were too busily engaged in their letters to come down.", "", "romance"},
		{"engaged with an object", "Mr. Hale and Miss Grey engaged the musicians for the ball.", "", "romance"},
		{"a plan proposed", "Miss Grey proposed it to Mr. Hale, and he agreed to walk.", "", "romance"},
		{"proposed to her", "Mr. Hale proposed to Miss Grey in the garden.", "romance", ""},
		{"the engagement of two", "A week after Mr. Hale's engagement with Miss Grey, the snow came.", "romance", ""},
		{"them, not the pair", "Mr. Hale praised Miss Grey's daughters. He did not doubt her seeing them all disposed of in marriage.", "", "romance"},
		{"kin said by several at once", "Miss Grey came in.\n\n“Good evening,” said Mr. Hale.\n\n“Good evening, uncle!” they cried.\n\n" +
			"“Sit down,” said Mr. Hale.\n\n“Thank you, uncle!” they cried.\n\n“Tea?” said Mr. Hale.\n\n“Yes, uncle!” they cried.", "", "family"},
		{"a list around a relative", "Miss Grey named the party: the two Coles, Mr. Hale, her father, and herself.", "", "family"},
		{"a list after a comma", "Miss Grey told of the party: her father, Mr. Hale, Mr. Cox, and Mr. Cole were left at the table.", "", "family"},
		{"love told twice", "Mr. Hale loved Miss Grey. Miss Grey loved him too, and said so.", "romance", ""},
		{"love told once", "Mr. Hale loved Miss Grey as everyone did.", "", "romance"},
		{"love denied", "Mr. Hale did not love Miss Grey. Miss Grey never loved him.", "", "romance"},
		{"a niece's love", "“Good night, uncle,” said Miss Grey to Mr. Hale.\n\nMr. Hale loved Miss Grey. Miss Grey loved him too, and said so.", "", "romance"},
		{"a relative known by a description", "Mr. Hale, the clerk, sat in the tank.\n\nMiss Grey watched her clerk at his desk.", "service", ""},
		{"brought up by", "Miss Grey was brought up by Mr. Hale in the north.", "mentorship", ""},
		{"taken to bring up", "“Mr. Hale took me to bring up,” said Miss Grey.", "mentorship", ""},
		{"brought up to town", "Mr. Hale brought Miss Grey up to town.", "", "mentorship"},
		{"a killing supposed", "“I shall stay,” said Miss Grey to Mr. Hale, “unless you kill me first.”", "", "enmity"},
		{"kissed by a lover", "Mr. Hale kissed Miss Grey at the gate.", "romance", ""},
		{"kissed by an uncle", "“Good night, uncle,” said Miss Grey to Mr. Hale.\n\nMr. Hale kissed Miss Grey, and Miss Grey kissed him.", "", "romance"},
		{"they employed someone else", "Mr. Hale and Miss Grey kept a cook. They had employed the woman for years.", "", "service"},
		{"an in-law", "Her brother-in-law, Mr. Hale, came in after Miss Grey.", "family", ""},
		{"a widow", "Miss Grey was the widow of Mr. Hale, and wore black.", "romance", ""},
		{"a speaker quoting someone", "“He came to me,” said Miss Grey to Mr. Hale, “and he says, ‘I will find my brother, Mr. Hale, wherever he is.’”", "", "family"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Analyze(context.Background(), opening+tc.text, Options{MinMentions: 2})
			if err != nil {
				t.Fatal(err)
			}
			got, why := pairType(res, []string{"Mr. Hale"}, []string{"Miss Grey"})
			if got == "" {
				got = "acquaintance"
			}
			if tc.want != "" && got != tc.want || tc.notWant != "" && got == tc.notWant {
				t.Errorf("Mr. Hale–Miss Grey: %s %s; want %q, not %q", got, why, tc.want, tc.notWant)
			}
		})
	}
}

// TestPairsByName: what two names, or a name said in address, tell of a pair.
func TestPairsByName(t *testing.T) {
	for _, tc := range []struct {
		name, text    string
		a, b          string
		want, notWant string
	}{
		{
			// "Mrs. John Hale" is the wife of the John Hale the book names, and his
			// brother Mr. Hale's relative, not his wife.
			"the wife of another man", "Mr. Hale lived at the abbey. His brother John Hale lived in town. " +
				"Mrs. John Hale was a gentle little woman. Mrs. John Hale and Mr. Hale talked of the children. " +
				"John Hale and Mrs. John Hale came down at Christmas. Mr. Hale met John Hale at the gate. " +
				"Mrs. Hale smiled at Mr. Hale.\n\n",
			"Mr. Hale", "Mrs. John Hale", "family", "",
		},
		{
			// "Lady Grant" is the wife of "Sir Henry Grant", as the titles go.
			"a knight and his lady", "Sir Henry Grant lived at the hall with Lady Grant. Sir Henry Grant rode out while Lady Grant stayed at home.\n\n" +
				"Lady Grant and Sir Henry Grant dined alone. Sir Henry Grant talked of the hunt to Lady Grant.\n\n" +
				"Lady Grant walked in the garden with Sir Henry Grant.\n\n",
			"Sir Henry Grant", "Lady Grant", "romance", "",
		},
		{
			// "Father Hale" said to an old man is a title of respect, not a
			// daughter's word for her father.
			"father as a title", "Father Hale kept the mill. Miss Grey lived at the rectory.\n\n" +
				"“Father Hale, come out!” cried Miss Grey.\n\n“I am coming,” said Father Hale.\n\n" +
				"“Good morning, Father Hale,” said Miss Grey.\n\n“Good morning,” said Father Hale.\n\n",
			"Father Hale", "Miss Grey", "", "family",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Analyze(context.Background(), tc.text, Options{MinMentions: 2})
			if err != nil {
				t.Fatal(err)
			}
			got, why := pairType(res, []string{tc.a}, []string{tc.b})
			if tc.want != "" && got != tc.want || tc.notWant != "" && got == tc.notWant {
				t.Errorf("%s–%s: %q %s; want %q, not %q", tc.a, tc.b, got, why, tc.want, tc.notWant)
			}
		})
	}
}

// TestToldKind: a marriage told names the relation, however often love is.
func TestToldKind(t *testing.T) {
	const text = "Mr. Hale lived at the mill. Miss Grey lived at the rectory.\n\n" +
		"Mr. Hale loved Miss Grey. Miss Grey loved him. Mr. Hale loved her still.\n\n" +
		"Mr. Hale and Miss Grey were married in the spring.\n\n"
	res, err := Analyze(context.Background(), text, Options{MinMentions: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, why := pairType(res, []string{"Mr. Hale"}, []string{"Miss Grey"}); got != "romance" || !strings.HasPrefix(why, "(married ") {
		t.Errorf("Mr. Hale–Miss Grey: %s %s; want romance, married", got, why)
	}
}
