package llm

import "strings"

// The offline storyteller's phrasebook. Templates take these placeholders:
//
//	{listener}  who is addressed; always written ", {listener}" so that the name and its
//	            comma can be dropped together when nobody in particular is addressed
//	{topic}     what the line being answered is about ("Netherfield", "your letter");
//	            {Topic} is the same with a capital first letter
//	{memory}    a recalled memory as a first-person clause ("I walked to Netherfield")
//	{goal}      one of the speaker's goals
//
// Lines are written without contractions; a casual speaking style contracts them. Tables
// are keyed by mood, a coarse grouping of the emotions (see moodOf).

// Moods group the emotions for choosing lines.
const (
	moodCalm      = "calm"      // neutral
	moodWarm      = "warm"      // joy, trust, anticipation
	moodCold      = "cold"      // anger, disgust
	moodSad       = "sad"       // sadness
	moodAfraid    = "afraid"    // fear
	moodSurprised = "surprised" // surprise
)

// moodOf returns the mood of an emotion.
func moodOf(emotion string) string {
	switch emotion {
	case EmotionJoy, EmotionTrust, EmotionAnticipation:
		return moodWarm
	case EmotionAnger, EmotionDisgust:
		return moodCold
	case EmotionSadness:
		return moodSad
	case EmotionFear:
		return moodAfraid
	case EmotionSurprise:
		return moodSurprised
	}
	return moodCalm
}

// openers start a reply, by emotion: the first list for expressive (extravert) speakers,
// the second for reserved ones.
var openers = map[string][2][]string{
	EmotionNeutral: {
		{"Well, now.", "Ah, {listener}.", "Now there is a question.", "Let me think about that."},
		{"I see.", "Hm.", "Very well.", "Perhaps."},
	},
	EmotionJoy: {
		{"Oh, how delightful!", "Ha! Now that is something.", "What a pleasure this is!", "Oh, {listener}, you have made my day!"},
		{"That is good to hear.", "How nice.", "I am glad.", "That pleases me."},
	},
	EmotionTrust: {
		{"Of course, of course!", "You know I am with you, {listener}.", "I believe every word of it!"},
		{"I believe you.", "I trust you in this.", "Yes. I understand."},
	},
	EmotionAnticipation: {
		{"At last!", "Oh, I can hardly wait.", "Now things are getting interesting!"},
		{"We shall see.", "Soon, then.", "I wonder what will come of it."},
	},
	EmotionSadness: {
		{"Oh, I wish you had not said that.", "Oh, {listener}, it is all so unhappy.", "Ah me, what a thing to hear."},
		{"I... yes.", "Forgive me, I am not quite myself.", "That is sad news."},
	},
	EmotionAnger: {
		{"How dare you!", "Enough!", "Do you take me for a fool, {listener}?"},
		{"I see how it is.", "That is quite enough.", "I will not pretend that pleases me."},
	},
	EmotionFear: {
		{"Oh no, no, no.", "Please, {listener}, lower your voice!", "Heaven help us."},
		{"I would rather not...", "Please, not so loud.", "I do not like this."},
	},
	EmotionSurprise: {
		{"Good heavens!", "Well! I did not expect that.", "You cannot be serious, {listener}!"},
		{"Oh. I had not expected that.", "Really?", "That is... unexpected."},
	},
	EmotionDisgust: {
		{"Ugh, how vile.", "What a revolting idea!", "Spare me, {listener}."},
		{"How distasteful.", "I would rather not hear it.", "That is beneath us both."},
	},
}

// sceneOpeners start a scene turn when nothing has been said yet; sceneTopicOpeners when
// the scene gives the speaker something to talk about.
var (
	sceneOpeners = []string{
		"Well, here we all are.",
		"I suppose someone must begin, so it may as well be me.",
		"It is very quiet in here, is it not?",
		"I have been waiting for a chance to speak, {listener}.",
	}
	sceneTopicOpeners = []string{
		"So, {topic}. I had wondered when we would come to this.",
		"{Topic}, then. I have been thinking of little else.",
		"I cannot stop thinking about {topic}.",
		"Let us talk about {topic}, {listener}.",
	}
)

// topicLines pick up what the line being answered was about, by mood; questionLines
// answer a question about it.
var (
	topicLines = map[string][]string{
		moodCalm: {
			"{Topic}? I have given {topic} some thought, as it happens.",
			"You mention {topic}; do go on.",
			"As to {topic}, I am not yet sure what to think.",
			"{Topic}? That is not to be settled in a moment.",
		},
		moodWarm: {
			"{Topic}! Nothing could please me more.",
			"I am so glad you brought up {topic}.",
			"{Topic}! I was hoping we would talk of {topic}.",
			"Oh, {topic}! That does my heart good.",
		},
		moodCold: {
			"Do not speak to me of {topic}.",
			"{Topic}, is it? You have some nerve.",
			"I have heard quite enough about {topic}.",
			"You would bring up {topic}, of all things.",
		},
		moodSad: {
			"{Topic}... that weighs on me more than you know.",
			"I cannot think of {topic} without a heavy heart.",
			"Must we talk of {topic}?",
		},
		moodAfraid: {
			"{Topic}? I would rather not dwell on {topic}, if it is all the same to you.",
			"Please, let us not talk of {topic} here.",
			"Every time {topic} comes up, I feel uneasy.",
		},
		moodSurprised: {
			"{Topic}? Of all the things I expected to hear today!",
			"You want to talk about {topic}? Now?",
			"I never thought I would hear {topic} mentioned again.",
		},
	}
	questionLines = map[string][]string{
		moodCalm: {
			"You ask about {topic}? Then I shall tell you plainly.",
			"What do I think of {topic}? More than I usually admit.",
		},
		moodWarm: {
			"You ask about {topic}? I could talk of nothing else all day.",
			"What do I think of {topic}? I could hardly think better.",
		},
		moodCold: {
			"You ask me about {topic}? I owe you no answer.",
			"What is {topic} to you?",
		},
	}
)

// greetingLines answer a greeting, by mood (calm when the mood has none).
var greetingLines = map[string][]string{
	moodCalm: {
		"Good day to you, {listener}.",
		"Hello, {listener}.",
		"Ah, there you are, {listener}.",
	},
	moodWarm: {
		"Oh, hello, {listener}! How good it is to see you.",
		"There you are at last, {listener}!",
	},
	moodCold: {
		"Oh. It is you, {listener}.",
		"What do you want, {listener}?",
	},
	moodSad: {
		"Hello, {listener}. Forgive me if I am poor company today.",
	},
	moodAfraid: {
		"Oh! You startled me, {listener}.",
	},
}

// greetingClosings follow up a greeting.
var greetingClosings = []string{
	"How have you been, {listener}?",
	"What brings you here, {listener}?",
	"Is all well with you, {listener}?",
}

// greetings are the words that open a greeting; after "good", the time of day.
var greetings = map[string]bool{
	"hello": true, "hi": true, "hey": true, "greetings": true, "howdy": true, "welcome": true,
	"morning": true, "afternoon": true, "evening": true, "day": true,
}

// wordLines pick up a single word of the line being answered when it has no clearer
// subject; the word is quoted, since it may be any part of speech.
var wordLines = []string{
	"\"{Topic},\" you say. I have been turning that word over myself.",
	"You speak of \"{topic}\" as though the word settles anything.",
	"\"{Topic}\"... now there is a word I did not expect to hear.",
}

// memoryLines bring up a recalled memory, by mood.
var memoryLines = map[string][]string{
	moodCalm: {
		"I keep thinking of the day {memory}.",
		"It puts me in mind of the time {memory}.",
		"I remember it still: {memory}.",
		"I have not forgotten how {memory}.",
	},
	moodWarm: {
		"It makes me smile to think of the day {memory}.",
		"I often think, fondly, of the time {memory}.",
		"I keep thinking of the day {memory}.",
	},
	moodCold: {
		"And do not think I have forgotten that {memory}.",
		"I remember very well that {memory}.",
		"I keep thinking of the day {memory}, and it still galls me.",
	},
	moodSad: {
		"I still cannot shake the memory of the day {memory}.",
		"Sometimes I think of the day {memory}, and it undoes me a little.",
		"I keep thinking of the day {memory}.",
	},
	moodAfraid: {
		"I keep going back to the day {memory}, and it frightens me still.",
		"I cannot stop thinking of the time {memory}.",
	},
	moodSurprised: {
		"It is just like the time {memory}!",
		"Strange, it puts me in mind of the day {memory}.",
	},
}

// Relationship tones, from the speaker's warmth towards the listener (see toneOf), and
// the tone towards someone the speaker has no relationship with.
const (
	toneWarm     = "warm"
	toneFriendly = "friendly"
	toneNeutral  = "neutral"
	toneGuarded  = "guarded"
	toneHostile  = "hostile"
	toneStranger = "stranger"
)

// bondLines colour a reply with the relationship, by tone; newBondLines are for a
// listener the speaker has not known long.
var (
	bondLines = map[string][]string{
		toneWarm: {
			"You know I would trust you with anything, {listener}.",
			"It does me good to talk with you, {listener}; it always has.",
			"Between us, {listener}, there is no need for ceremony.",
			"I am glad it is you I am telling this to.",
		},
		toneFriendly: {
			"I value your opinion, {listener}, you know that.",
			"I am glad of your company, {listener}.",
			"You have always been fair with me, {listener}.",
		},
		toneNeutral: {
			"I hope you will take that as it is meant, {listener}.",
			"I will be honest with you, {listener}, since you ask.",
			"Make of that what you will, {listener}.",
		},
		toneGuarded: {
			"Forgive me if I keep some things to myself, {listener}.",
			"I am not sure how far I can trust you, {listener}.",
			"You will understand if I choose my words with care, {listener}.",
		},
		toneHostile: {
			"I have no reason to trust you, {listener}, and you have given me none.",
			"Do not mistake my answering you for friendship, {listener}.",
			"You will forgive me if I do not take your word for it.",
			"I know exactly what you are, {listener}.",
		},
		toneStranger: {
			"I do not believe we have been properly introduced, {listener}.",
			"Forgive me, {listener}, I do not know you well enough to say more.",
			"You are new to me, {listener}, so you must take me as you find me.",
		},
	}
	newBondLines = map[string][]string{
		toneWarm: {
			"We have not known each other long, {listener}, but I find I trust you.",
			"It is strange, {listener}; I feel I have known you for years.",
		},
		toneFriendly: {
			"I think we shall be friends, {listener}.",
		},
		toneNeutral: {
			"We hardly know each other yet, {listener}, so I will speak plainly.",
		},
		toneGuarded: {
			"I hardly know you, {listener}, and I mean to keep it that way for now.",
		},
	}
)

// typeLines colour a reply with the kind of relationship (Bond.Type), for a well-disposed
// speaker (index 0: warm, friendly and neutral tones) or an ill-disposed one (index 1).
var typeLines = map[string][2][]string{
	"FRIEND": {
		{"What are friends for, {listener}, if not for this?"},
		{"I used to call you my friend, {listener}."},
	},
	"RIVAL": {
		{"You and I have always measured ourselves against each other, {listener}, and I would not have it otherwise."},
		{"Do not think I will let you get the better of me, {listener}."},
	},
	"ROMANCE": {
		{"You must know what you mean to me, {listener}."},
		{"Whatever there was between us, {listener}, do not count on it now."},
	},
	"ALLY": {
		{"We have stood together before, {listener}, and we will again."},
		{"We are allies, {listener}, not friends; do not forget it."},
	},
	"FAMILY": {
		{"We are family, {listener}, whatever else we are."},
		{"Family or not, {listener}, I owe you nothing."},
	},
	"MENTOR": {
		{"I have learned more from our talks than you know, {listener}."},
		{"I expected better of you, {listener}."},
	},
	"ENEMY": {
		{"Perhaps we need not be enemies forever, {listener}."},
		{"I have not forgotten what you did, {listener}, and I never will."},
	},
	"ACQUAINTANCE": {
		{"I would like to know you better, {listener}."},
		{"We are barely acquainted, {listener}; let us keep it so."},
	},
}

// goalLines bring up one of the speaker's goals; coldGoalLines when the speaker is at odds
// with the listener or the moment. Each works with a goal written as a verb phrase
// ("marry for love") or a noun phrase ("the estate's future").
var (
	goalLines = []string{
		"All I want, in the end, is this: {goal}.",
		"I have not forgotten what I am after: {goal}.",
		"Whatever happens, I mean to hold to my purpose: {goal}.",
	}
	coldGoalLines = []string{
		"Nothing you say will turn me from my purpose: {goal}.",
		"I know what I want, and it is this: {goal}.",
	}
)

// closingLines hand the word back to the listener, by mood.
var closingLines = map[string][]string{
	moodCalm: {
		"What do you say, {listener}?",
		"And you, {listener}, what do you make of it?",
		"Tell me honestly, {listener}, am I wrong?",
	},
	moodWarm: {
		"Now tell me everything, {listener}!",
		"What do you say, {listener}?",
	},
	moodCold: {
		"Well, {listener}? Have you anything else to say?",
		"Is that all, {listener}?",
	},
	moodSad: {
		"Do you understand, {listener}?",
		"You do see, {listener}, do you not?",
	},
	moodAfraid: {
		"You will not tell anyone, {listener}, will you?",
		"What should we do, {listener}?",
	},
	moodSurprised: {
		"Did you know about this, {listener}?",
		"Whatever next, {listener}?",
	},
}

// quips are the asides of a witty speaker.
var quips = []string{
	"But then, I never let good sense spoil a good story.",
	"How very diverting this all is.",
	"I am told I have a gift for understatement.",
	"One must laugh at something, after all.",
}

// hesitations start the reply of a hesitant speaker.
var hesitations = []string{"Um, ", "Well, I... ", "I— ", "Oh, I mean, "}

// styleCues are words of a SpeakingStyle and the habits they stand for.
var styleCues = []struct {
	habit string
	words []string
}{
	{"casual", []string{"casual", "informal", "relaxed", "slang", "colloquial", "breezy", "chatty", "folksy"}},
	{"terse", []string{"terse", "curt", "blunt", "laconic", "brief", "clipped", "few words", "taciturn", "short"}},
	{"verbose", []string{"verbose", "eloquent", "rambling", "florid", "talkative", "long-winded", "flowery", "elaborate", "loquacious"}},
	{"witty", []string{"witty", "wit", "ironic", "irony", "sarcastic", "sardonic", "playful", "teasing", "wry", "humor", "humour"}},
	{"hesitant", []string{"hesitant", "nervous", "shy", "stammer", "stutter", "timid", "halting"}},
	{"exclaim", []string{"enthusiastic", "exuberant", "excitable", "loud", "bubbly", "dramatic", "effusive"}},
}

// contractions are the replacements a casual speaker makes, longest first so that "I
// have not" becomes "I haven't" rather than "I've not".
var contractions = []string{
	"I have not", "I haven't", "I do not", "I don't", "I am not", "I'm not",
	"I am", "I'm", "I have", "I've", "I would", "I'd", "I will", "I'll",
	"do not", "don't", "Do not", "Don't", "does not", "doesn't", "did not", "didn't",
	"is not", "isn't", "was not", "wasn't", "are not", "aren't", "cannot", "can't",
	"could not", "couldn't", "would not", "wouldn't", "will not", "won't",
	"It is", "It's", "it is", "it's", "That is", "That's", "that is", "that's",
	"You have", "You've", "you have", "you've", "You are", "You're", "you are", "you're",
	"We shall", "We'll", "we shall", "we'll", "there is", "there's", "There is", "There's",
}

// stopWords are words that make poor subjects of a reply: function words, and verbs and
// adverbs so common that picking one up ("think", "really") sounds absurd.
var stopWords = func() map[string]bool {
	set := make(map[string]bool, 256)
	for _, line := range []string{
		`a about above after again against all am an and any are as at be because been before
		being below between both but by can could did do does doing down during each few for
		from further had has have having he her here hers herself him himself his how i if in
		into is it its itself just me more most my myself no nor not of off on once only or
		other our ours ourselves out over own same she should so some such than that the their
		theirs them themselves then there these they this those through to too under until up
		very was we were what when where which while who whom why will with would you your
		yours yourself yourselves`,
		`ask asked back come comes coming did done else even ever get gets getting give go goes
		going gone got know knew known let like look made make many may might much must need
		never now oh one perhaps please quite rather really said say says see seen shall since
		still sure take tell thank thanks thing things think thought told try us use want wanted
		way well whether yes yet ah also always anything everything nothing something
		someone anyone everyone indeed dear sir madam mr mrs ms miss lady lord today tonight
		tomorrow yesterday time day days lot bit sort kind while hello hi hey
		greetings howdy welcome morning afternoon evening good`,
	} {
		for _, w := range strings.Fields(line) {
			set[w] = true
		}
	}
	return set
}()

// commonStarters are words that often start a memory and are no names, besides the stop
// words.
var commonStarters = map[string]bool{
	"yesterday": true, "today": true, "last": true, "once": true, "years": true, "long": true,
	"every": true, "one": true, "two": true, "three": true, "during": true, "since": true,
	"later": true, "earlier": true, "that": true, "soon": true, "everyone": true, "nobody": true,
	"someone": true, "everybody": true, "somebody": true, "mother": true, "father": true,
}

// honorifics may be followed by a full stop that does not end a sentence ("Mr. Darcy").
var honorifics = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "sir": true, "lady": true,
	"lord": true, "miss": true, "captain": true, "colonel": true, "rev": true, "prof": true,
}

// determiners introduce the noun phrases a reply may pick up, with the word the speaker
// uses in their place: "your letter" is "my letter" from the other side.
var determiners = map[string]string{
	"the": "the", "a": "a", "an": "an", "this": "this", "that": "that", "these": "these",
	"those": "those", "my": "your", "your": "my", "our": "our", "his": "his", "her": "her",
	"their": "their",
}

// adjectives are common adjectives that may stand between a determiner and its noun ("the
// old house"), so that the noun is picked up too.
var adjectives = map[string]bool{
	"old": true, "new": true, "young": true, "little": true, "big": true, "small": true,
	"great": true, "long": true, "last": true, "first": true, "poor": true, "good": true,
	"bad": true, "whole": true, "late": true, "next": true, "dark": true, "fine": true,
	"strange": true, "fair": true, "grand": true, "handsome": true, "pretty": true,
	"beautiful": true, "dear": true, "other": true, "secret": true, "own": true,
}
