package analysis

import "maps"

// This file holds the immutable English word tables the heuristics rely on.
// Nothing here names a character of any particular book: the lists are
// general English knowledge (honorifics, speech verbs, function words, common
// given names and their diminutives).

// wordSet builds a lookup set; keys are lower case.
func wordSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// withWords returns a copy of set with words added.
func withWords(set map[string]bool, words ...string) map[string]bool {
	m := maps.Clone(set)
	for _, w := range words {
		m[w] = true
	}
	return m
}

// honorific describes a title that can precede a name.
type honorific struct {
	canon  string // canonical spelling used in names ("Mr.", "Lady")
	class  string // grouping used for alias matching: Mr, Mrs, Miss, or the title itself
	gender string // "male", "female" or "" when the title does not tell
	// givenOK: the title is commonly followed by a given name
	// ("Sir William", "Lady Catherine", "Miss Elizabeth") and not only by a
	// surname ("Mr. Darcy", "Colonel Forster").
	givenOK bool
	// standalone: the title alone, capitalised in mid-sentence, is used as a
	// character's name ("the Queen", "the Duchess").
	standalone bool
}

// honorifics maps a lower-case title (without its abbreviation dot) to its
// description.
var honorifics = map[string]honorific{
	"mr":           {"Mr.", "Mr", "male", false, false},
	"mister":       {"Mr.", "Mr", "male", false, false},
	"messrs":       {"Messrs.", "Messrs", "", false, false}, // plural titles name no one person
	"misses":       {"Misses", "Messrs", "female", false, false},
	"mesdames":     {"Mesdames", "Messrs", "female", false, false},
	"mrs":          {"Mrs.", "Mrs", "female", false, false},
	"missus":       {"Mrs.", "Mrs", "female", false, false},
	"miss":         {"Miss", "Miss", "female", true, false},
	"ms":           {"Miss", "Miss", "female", true, false},
	"master":       {"Master", "Master", "male", true, false},
	"madam":        {"Madame", "Mrs", "female", false, false},
	"madame":       {"Madame", "Mrs", "female", false, false},
	"mme":          {"Mme.", "Mrs", "female", false, false},
	"mademoiselle": {"Mademoiselle", "Miss", "female", true, false},
	"mlle":         {"Mlle.", "Miss", "female", true, false},
	"monsieur":     {"Monsieur", "Mr", "male", false, false},
	"m":            {"M.", "Mr", "male", false, false},
	"signor":       {"Signor", "Mr", "male", false, false},
	"señor":        {"Señor", "Mr", "male", false, false},
	"herr":         {"Herr", "Mr", "male", false, false},
	"frau":         {"Frau", "Mrs", "female", false, false},
	"dr":           {"Dr.", "Dr", "", false, false},
	"doctor":       {"Doctor", "Dr", "", false, true},
	"professor":    {"Professor", "Professor", "", false, true},
	"prof":         {"Professor", "Professor", "", false, false},
	"rev":          {"Rev.", "Rev", "male", false, false},
	"reverend":     {"Reverend", "Rev", "male", false, false},
	"sir":          {"Sir", "Sir", "male", true, false},
	"lady":         {"Lady", "Lady", "female", true, false},
	"lord":         {"Lord", "Lord", "male", true, false},
	"dame":         {"Dame", "Dame", "female", true, false},
	"colonel":      {"Colonel", "Colonel", "male", false, true},
	"col":          {"Colonel", "Colonel", "male", false, false},
	"captain":      {"Captain", "Captain", "male", false, true},
	"capt":         {"Captain", "Captain", "male", false, false},
	"major":        {"Major", "Major", "male", false, false},
	"general":      {"General", "General", "male", false, false},
	"lieutenant":   {"Lieutenant", "Lieutenant", "male", false, false},
	"sergeant":     {"Sergeant", "Sergeant", "male", false, true},
	"corporal":     {"Corporal", "Corporal", "male", false, false},
	"admiral":      {"Admiral", "Admiral", "male", false, false},
	"inspector":    {"Inspector", "Inspector", "male", false, true},
	"constable":    {"Constable", "Constable", "male", false, false},
	"judge":        {"Judge", "Judge", "", false, false},
	"aunt":         {"Aunt", "Aunt", "female", true, false},
	"auntie":       {"Aunt", "Aunt", "female", true, false},
	"uncle":        {"Uncle", "Uncle", "male", true, false},
	"cousin":       {"Cousin", "Cousin", "", true, false},
	"father":       {"Father", "Father", "male", true, false},
	"mother":       {"Mother", "Mother", "female", true, false},
	"brother":      {"Brother", "Brother", "male", true, false},
	"sister":       {"Sister", "Sister", "female", true, false},
	"king":         {"King", "King", "male", true, true},
	"queen":        {"Queen", "Queen", "female", true, true},
	"prince":       {"Prince", "Prince", "male", true, true},
	"princess":     {"Princess", "Princess", "female", true, true},
	"duke":         {"Duke", "Duke", "male", false, true},
	"duchess":      {"Duchess", "Duchess", "female", false, true},
	"earl":         {"Earl", "Earl", "male", false, true},
	"count":        {"Count", "Count", "male", false, false},
	"countess":     {"Countess", "Countess", "female", false, true},
	"baron":        {"Baron", "Baron", "male", false, true},
	"baroness":     {"Baroness", "Baroness", "female", false, true},
	"marquis":      {"Marquis", "Marquis", "male", false, true},
	"marquise":     {"Marquise", "Marquise", "female", false, true},
	"emperor":      {"Emperor", "Emperor", "male", false, true},
	"empress":      {"Empress", "Empress", "female", false, true},
	"bishop":       {"Bishop", "Bishop", "male", false, true},
	"monseigneur":  {"Monseigneur", "Monseigneur", "male", true, false},
	"abbé":         {"Abbé", "Abbé", "male", false, false},
	"governor":     {"Governor", "Governor", "male", false, true},
}

// abbreviations are words that take a full stop without ending a sentence.
var abbreviations = wordSet("mr", "mrs", "ms", "dr", "st", "mme", "mlle", "m",
	"messrs", "rev", "col", "capt", "gen", "lieut", "prof", "sr", "jr", "esq",
	"no", "vol", "ch", "co", "mt", "ft", "viz", "vs", "etc", "i.e", "e.g")

// nameParticles may sit, lower case, inside a surname ("de Bourgh").
var nameParticles = wordSet("de", "van", "von", "der", "den", "du", "des",
	"la", "le", "da", "di", "del", "della", "ten", "ter", "d'", "y")

// stopCaps are capitalised words that are never (part of) a character's name,
// whatever their capitalisation statistics say: pronouns, function words,
// interjections, calendar words, religious terms and book-structure words.
var stopCaps = wordSet(
	"i", "i'm", "i'll", "i've", "i'd", "me", "my", "mine", "myself", "we", "us", "our",
	"you", "your", "yours", "yourself", "he", "him", "his", "himself", "she",
	"her", "hers", "herself", "it", "its", "itself", "they", "them", "their",
	"theirs", "themselves", "who", "whom", "whose", "what", "which", "that",
	"this", "these", "those", "the", "a", "an", "and", "but", "or", "nor", "for",
	"so", "yet", "if", "then", "than", "when", "where", "why", "how", "while",
	"as", "at", "by", "in", "of", "on", "to", "up", "with", "from", "into",
	"not", "no", "yes", "oh", "ah", "o", "alas", "well", "pray", "nay", "aye",
	"hush", "hark", "lo", "bah", "ha", "hum", "hem", "pooh", "indeed", "sure",
	"dear", "there", "here", "all", "some", "any", "every", "each", "both",
	"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
	"first", "second", "third", "last", "next", "now", "perhaps", "still",
	"only", "even", "very", "much", "many", "such", "own", "other", "another",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december", "christmas", "easter",
	"michaelmas", "whitsuntide", "lent", "god", "gods", "lord", "heaven",
	"heavens", "christ", "jesus", "providence", "bible", "amen", "devil",
	"chapter", "volume", "book", "part", "stave", "preface", "contents", "end",
	"finis", "appendix", "illustration", "footnote", "note", "project", "gutenberg",
	"ebook", "sir", "madam", "ma'am", "miss", "mrs", "mr", "ms", "mister",
	"do", "did", "does", "is", "was", "are", "were", "be", "been", "have", "has",
	"had", "will", "would", "shall", "should", "can", "could", "may", "might",
	"must", "let", "say", "said", "good", "bless", "thank", "thanks", "goodbye",
	"good-bye", "farewell", "hallo", "hello", "halloa", "hurrah", "huzza",
	"lor", "lawk", "lawks", "gad", "egad", "jove", "golly", "gosh", "zounds", "gracious",
	"goodness", "esquire", "esq",
	"english", "french", "german", "italian", "spanish", "latin", "greek",
	"british", "american", "irish", "scotch", "scottish", "welsh", "dutch",
	"canadian", "canadians", "australian", "australians", "mexican", "norwegian", "swedish",
	"hungarian", "belgian",
	"russian", "european", "christian", "catholic", "protestant", "jew", "jews",
	"italians", "germans", "americans", "russians", "greeks", "romans", "turks",
	"spaniards", "austrians", "prussians", "englishman", "englishmen",
	"englishwoman", "frenchman", "frenchmen", "frenchwoman", "irishman",
	"scotchman", "dutchman", "swiss", "chinese", "japanese", "portuguese",
	"england", "scotland", "ireland", "wales", "britain", "france", "italy",
	"germany", "spain", "russia", "greece", "austria", "prussia", "holland",
	"switzerland", "europe", "america", "india", "africa", "asia", "egypt",
	"hullo", "hulloa", "halloo", "hallo", "hey", "eh", "ho", "hi", "whoa",
	"bravo", "gracious", "goodness", "fie", "tut", "pshaw", "heigh",
	"mamma", "mama", "papa", "pa", "ma", "grandmamma", "grandpapa",
	"saint", "st", "ste", "san", "santa",
)

// epithets are adjectives capitalised in front of a name ("Little Bill",
// "Old Marley", "Poor Jane"); they are not part of it.
var epithets = wordSet("little", "old", "young", "poor", "dear", "good", "great",
	"big", "evil", "wicked", "kind", "fat", "tall", "pretty", "lovely", "sweet",
	"fair", "honest", "brave", "mad", "silly", "stupid", "beautiful", "wretched",
	"unhappy", "happy", "unfortunate", "worthy", "noble", "gentle", "bold")

// placeSuffixes end multi-word place or institution names ("Netherfield
// Park", "Baker Street").
var placeSuffixes = wordSet("street", "st", "park", "hall", "house", "lodge",
	"square", "road", "lane", "place", "court", "abbey", "castle", "church",
	"cathedral", "chapel", "inn", "bridge", "gate", "gardens", "garden", "row",
	"terrace", "wood", "woods", "common", "town", "city", "island", "river",
	"lake", "mountain", "mountains", "hills", "college", "school", "hospital",
	"hotel", "theatre", "market", "bay", "valley", "manor", "farm", "grange",
	"heath", "moor", "forest", "avenue", "boulevard", "quay", "wharf", "docks",
	"station", "barracks", "prison", "palace", "tower", "cottage", "rectory",
	"parsonage", "vicarage", "priory", "academy", "club", "company", "bank",
	"office", "society", "county", "shire", "ocean", "sea", "channel", "strand",
	"hill", "fields", "field", "cross", "mill", "mills", "arms", "crescent",
	"villa", "hollow")

// spiritNouns all name an apparition: a story's "Spirit" is the "Ghost"
// it has just introduced.
var spiritNouns = wordSet("ghost", "spirit", "phantom", "spectre", "specter",
	"apparition", "shade", "wraith")

// placePrefixes start place names ("Rue Plumet", "Mount Pleasant").
var placePrefixes = wordSet("rue", "mount", "fort", "port", "lake", "cape",
	"boulevard", "faubourg", "quai", "pont", "place", "via", "isle", "river")

// placePrepositions precede place names far more often than people.
var placePrepositions = wordSet("at", "in", "into", "near", "within", "through",
	"across", "towards", "toward", "inside", "throughout", "around", "beyond", "over")

// officeWords are offices a title can stand before as if a name:
// "Monsieur le Maire", "Mr. Mayor". A parish priest is not among them:
// every priest a traveller meets is "Monsieur le Curé".
var officeWords = wordSet("mayor", "maire", "president", "judge", "governor",
	"prefect", "préfet", "magistrate", "commissary", "commissioner", "director", "superintendent")

// objectPrepositions make the name after them their object, so a verb
// that follows has another subject ("from Spencervale came", "beyond
// Willowmere came Violet Vale").
var objectPrepositions = withWords(placePrepositions,
	"from", "past", "to", "of", "with", "by", "behind", "upon", "among")

// objectDeterminers come before the name of a thing ("her Baedeker", "no
// Baedeker") but seldom before a person's name.
var objectDeterminers = wordSet("a", "an", "no", "my", "your", "his", "her", "its",
	"our", "their", "this", "that", "every", "any")

// speechVerbs introduce or close a quotation ("said she", "Elizabeth
// replied").
var speechVerbs = wordSet("said", "says", "say", "saying", "cried", "cries",
	"replied", "replies", "answered", "answers", "asked", "asks", "exclaimed",
	"continued", "added", "returned", "observed", "rejoined", "remarked",
	"whispered", "muttered", "repeated", "resumed", "interrupted", "inquired",
	"enquired", "shouted", "called", "screamed", "thought", "pursued", "retorted",
	"murmured", "sighed", "growled", "roared", "demanded", "urged", "declared",
	"protested", "explained", "suggested", "persisted", "insisted", "faltered",
	"stammered", "concluded", "admitted", "acknowledged", "interposed",
	"responded", "began", "went", "spoke", "sobbed", "laughed", "groaned",
	"gasped", "panted", "yelled", "bawled", "snapped", "sneered", "shrieked",
	"squeaked", "hissed", "grunted", "moaned", "wailed", "cried", "ejaculated",
	"observed", "owned", "agreed", "assented", "objected", "reasoned",
	"reflected", "mused", "exclaims", "answered", "thundered", "chimed",
	"echoed", "pleaded", "begged", "entreated", "commanded", "ordered",
	"told", "announced", "proceeded", "cautioned", "warned", "implored",
	"affirmed", "remonstrated", "expostulated", "joined", "corrected",
	"volunteered", "ventured", "hazarded", "breathed", "stuttered", "lisped",
	"drawled", "whimpered", "blurted", "shrieked", "chuckled", "grumbled",
	"quoth", "cry", "reply", "answer", "ask", "exclaim", "continue", "add",
	"return", "observe", "whisper", "mutter", "repeat", "resume", "interrupt",
	"inquire", "enquire", "shout", "call", "scream", "think", "thinks",
	"queried", "assured", "blustered", "acquiesced", "promised", "confessed",
	"hinted", "mumbled", "asserted", "conceded", "confided", "complained",
	"questioned", "vowed", "scoffed", "croaked", "quavered", "mourned",
	"exploded", "sniffed", "crooned", "simpered", "chattered", "tittered",
	"blubbered", "interpolated")

// weakSpeechVerbs are in speechVerbs but only count as a speech tag when
// directly adjacent to the speaker ("went on", "began").
var weakSpeechVerbs = wordSet("went", "began", "joined", "told", "laughed",
	"sighed", "spoke", "proceeded", "owned", "returned", "called", "thought",
	"think", "thinks", "say", "cry", "reply", "answer", "ask", "exclaim",
	"continue", "add", "return", "observe", "whisper", "mutter", "repeat",
	"resume", "interrupt", "inquire", "enquire", "shout", "call", "scream",
	"saying")

// strongSpeechVerb reports whether w is a speech verb that tags a speaker
// by itself.
func strongSpeechVerb(w string) bool { return speechVerbs[w] && !weakSpeechVerbs[w] }

// actionVerbs typically follow a person used as a subject; they count as
// weak evidence that a capitalised word names a person rather than a place.
var actionVerbs = wordSet("said", "replied", "cried", "answered", "asked",
	"thought", "felt", "smiled", "laughed", "looked", "knew", "saw", "heard",
	"wished", "hoped", "loved", "told", "spoke", "turned", "sat", "stood",
	"walked", "ran", "began", "took", "gave", "exclaimed", "added", "continued",
	"observed", "returned", "whispered", "nodded", "sighed", "shook", "wept",
	"cried", "listened", "believed", "remembered", "wondered", "resolved",
	"determined", "tried", "seemed", "went", "came", "rose", "entered",
	"married", "sighed", "bowed", "blushed", "hesitated", "paused", "laughed",
	"himself", "herself", "says", "thinks", "feels", "looks", "smiles")

// pronoun tables for gender and speech-tag resolution.
var (
	malePronouns   = wordSet("he", "him", "his", "himself")
	femalePronouns = wordSet("she", "her", "hers", "herself")
)

// diminutives maps a familiar form to the formal given names it may stand
// for. Both sides are lower case.
var diminutives = map[string][]string{
	"lizzy": {"elizabeth"}, "lizzie": {"elizabeth"}, "liz": {"elizabeth"},
	"lisa": {"elizabeth"}, "beth": {"elizabeth"}, "bess": {"elizabeth"},
	"bessie": {"elizabeth"}, "betsy": {"elizabeth"}, "betty": {"elizabeth"},
	"eliza": {"elizabeth"}, "elsie": {"elizabeth"}, "bet": {"elizabeth"},
	"kitty": {"catherine", "katherine", "kathleen"}, "kate": {"catherine", "katherine"},
	"katie": {"catherine", "katherine"}, "cathy": {"catherine"}, "kit": {"christopher", "catherine"},
	"jenny": {"jane", "jennifer"}, "jennie": {"jane"}, "janey": {"jane"}, "janny": {"jane"},
	"bill": {"william"}, "billy": {"william"}, "will": {"william"}, "willy": {"william"},
	"willie": {"william"}, "bob": {"robert"}, "bobby": {"robert"}, "rob": {"robert"},
	"robin": {"robert"}, "dick": {"richard"}, "dickie": {"richard"}, "rick": {"richard"},
	"tom": {"thomas"}, "tommy": {"thomas"}, "charley": {"charles"}, "charlie": {"charles"},
	"chas": {"charles"}, "fanny": {"frances"}, "fan": {"frances"}, "molly": {"mary"},
	"polly": {"mary"}, "mamie": {"mary"}, "nell": {"ellen", "helen", "eleanor"},
	"nelly": {"ellen", "helen", "eleanor"}, "nellie": {"ellen", "helen", "eleanor"},
	"sally": {"sarah"}, "sal": {"sarah"}, "ned": {"edward", "edmund"}, "ted": {"edward", "theodore"},
	"teddy": {"edward", "theodore"}, "eddie": {"edward"}, "jack": {"john"}, "johnny": {"john"},
	"harry": {"henry", "harold"}, "hal": {"henry"}, "hank": {"henry"}, "jim": {"james"},
	"jimmy": {"james"}, "jem": {"james", "jeremiah"}, "jamie": {"james"}, "joe": {"joseph"},
	"joey": {"joseph"}, "sam": {"samuel"}, "sammy": {"samuel"}, "ben": {"benjamin"},
	"benny": {"benjamin"}, "fred": {"frederick"}, "freddy": {"frederick"}, "freddie": {"frederick"},
	"nick": {"nicholas"}, "nicky": {"nicholas"}, "pete": {"peter"}, "tony": {"anthony"},
	"andy": {"andrew"}, "dan": {"daniel"}, "danny": {"daniel"}, "davy": {"david"},
	"dave": {"david"}, "steve": {"stephen", "steven"}, "matt": {"matthew"}, "mat": {"matthew"},
	"nat": {"nathaniel"}, "phil": {"philip"}, "larry": {"lawrence"}, "walt": {"walter"},
	"wat": {"walter"}, "hugh": {"hugh"}, "maggie": {"margaret"}, "meg": {"margaret"},
	"peggy": {"margaret"}, "madge": {"margaret"}, "daisy": {"margaret"}, "patty": {"martha", "patricia"},
	"mattie": {"martha", "matilda"}, "tilly": {"matilda"}, "nancy": {"anne", "ann"},
	"annie": {"anne", "ann"}, "nan": {"anne", "ann"}, "dolly": {"dorothy"}, "dot": {"dorothy"},
	"sukey": {"susan"}, "susie": {"susan"}, "sue": {"susan"}, "becky": {"rebecca"},
	"abby": {"abigail"}, "nabby": {"abigail"}, "lucy": {"lucinda", "lucy"}, "lotty": {"charlotte"},
	"lottie": {"charlotte"}, "emmy": {"emily", "emma"}, "milly": {"mildred", "millicent", "amelia"},
	"minnie": {"wilhelmina", "mary"}, "jo": {"josephine", "joanna"}, "josie": {"josephine"},
	"gussie": {"augusta", "augustus"}, "georgy": {"georgiana", "george"}, "gerty": {"gertrude"},
	"hetty": {"henrietta", "hester"}, "louie": {"louisa", "louis"}, "lou": {"louisa", "louise"},
	"tibby": {"isabel", "isabella"}, "bella": {"isabella", "arabella"}, "belle": {"isabel", "isabella"},
	"di": {"diana"}, "kitt": {"catherine"}, "franky": {"francis"}, "frank": {"francis"},
	"teddie": {"edward"}, "archie": {"archibald"}, "bertie": {"albert", "herbert"},
	"alf": {"alfred"}, "alfie": {"alfred"}, "gus": {"augustus"}, "dolph": {"adolphus"},
	"dora": {"dorothea", "theodora"}, "effie": {"euphemia"}, "flo": {"florence"},
	"ginny": {"virginia"}, "letty": {"letitia"}, "lettie": {"letitia"}, "sophy": {"sophia"},
	"sissy": {"cecilia", "cecily"}, "cissy": {"cecilia", "cecily"}, "cissie": {"cecilia", "cecily"},
	"nolly": {"oliver"}, "lucia": {"lucy"}, "nance": {"nancy", "anne", "ann"}, "loo": {"louisa"},
	"tim": {"timothy"}, "timmy": {"timothy"}, "toby": {"tobias"}, "zach": {"zachary"},
}

// femaleNames and maleNames are common English given names, used only as a
// gender prior when pronouns and honorifics are silent.
var femaleNames = wordSet("mary", "elizabeth", "anne", "ann", "jane", "sarah",
	"margaret", "catherine", "katherine", "emma", "charlotte", "harriet", "lucy",
	"caroline", "louisa", "maria", "marianne", "eleanor", "elinor", "fanny",
	"frances", "julia", "sophia", "isabella", "amelia", "emily", "alice", "ellen",
	"helen", "martha", "susan", "rebecca", "rachel", "esther", "ruth", "agnes",
	"edith", "florence", "grace", "lydia", "kitty", "georgiana", "clara", "dorothea",
	"dorothy", "rosamond", "celia", "hannah", "betsy", "bessie", "nancy", "polly",
	"molly", "sally", "jenny", "nelly", "peggy", "meg", "beth", "amy", "jo", "laura",
	"ada", "estella", "biddy", "agatha", "irene", "violet", "mildred",
	"cecilia", "henrietta", "hester", "judith", "matilda", "olivia", "rosa",
	"rose", "sophie", "victoria", "cosette", "fantine", "eponine", "éponine",
	"marguerite", "marie", "madeleine", "lizzy", "eliza", "diana", "isabel",
	"juliet", "josephine", "anna", "ella", "hetty", "dolly", "lotty", "tilly",
	"gwendolen", "maggie", "nell", "bella", "flora", "marian", "joan", "janet",
	"kate", "lily", "daisy", "winifred", "ethel", "gertrude", "adela", "beatrice",
	"rachael", "ruby", "gladys", "carrie", "gertie", "minnie", "jessie", "annie",
	"mabel", "maud", "maude", "evelyn", "hilda", "ida", "louise", "marjorie",
	"muriel", "nora", "phyllis", "priscilla", "prudence", "rosalind", "sybil",
	"sibyl", "theresa", "teresa", "vera", "charity", "patience", "bridget")

var maleNames = wordSet("john", "william", "james", "george", "charles",
	"thomas", "henry", "robert", "richard", "edward", "joseph", "samuel", "david",
	"peter", "paul", "frederick", "arthur", "walter", "francis", "philip", "hugh",
	"edmund", "edgar", "stephen", "michael", "daniel", "benjamin", "matthew",
	"mark", "luke", "andrew", "anthony", "christopher", "nicholas", "ralph",
	"roger", "harry", "tom", "jack", "bob", "bill", "dick", "ned", "fred", "jim",
	"joe", "sam", "ben", "tim", "fitzwilliam", "fitz", "jean", "marius", "javert",
	"oliver", "nathaniel", "jonathan", "isaac", "jacob", "abraham", "herbert",
	"albert", "alfred", "ernest", "harold", "horace", "jasper", "lewis", "louis",
	"martin", "owen", "patrick", "percy", "rupert", "simon", "timothy", "victor",
	"vincent", "wilfred", "sherlock", "mycroft", "ebenezer", "jacob", "gabriel",
	"adam", "alexander", "augustus", "basil", "bertram", "cedric", "clement",
	"cyril", "dorian", "felix", "gilbert", "guy", "humphrey", "lionel", "nigel",
	"oscar", "reginald", "sydney", "silas", "theodore", "tobias", "wilkins",
	"cecil", "barney", "adrian", "allan", "bernard", "claude", "clifford",
	"douglas", "eric", "eustace", "gerald", "godfrey", "gregory", "hector",
	"howard", "jeremy", "julian", "lawrence", "leonard", "maurice", "morris",
	"neville", "norman", "percival", "raymond", "roderick", "roland", "rowland",
	"rufus", "septimus", "stanley", "wallace", "josiah", "noah", "moses",
	"thaddeus", "bartholomew", "ambrose", "jeremiah", "solomon", "elijah", "ezra")
