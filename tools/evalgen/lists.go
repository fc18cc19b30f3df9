package main

// firstNameSet holds common first names, which mark a two-word name as a
// person's.
var firstNameSet = set(
	"aaron", "adam", "adrian", "alan", "alastair", "alex", "alexander", "alfred", "alice", "alison",
	"amanda", "amy", "andrea", "andrew", "andy", "angela", "ann", "anna", "anne", "anthony", "antonio",
	"arnold", "arthur", "barbara", "barry", "ben", "benjamin", "bernard", "bill", "billy", "bob",
	"brian", "bruce", "carl", "carlos", "caroline", "catherine", "charles", "charlie", "charlotte",
	"chris", "christine", "christopher", "claire", "colin", "craig", "dan", "daniel", "danny", "dave",
	"david", "dean", "deborah", "denis", "dennis", "derek", "diana", "diane", "dominic", "donald",
	"doug", "douglas", "duncan", "ed", "eddie", "edward", "elizabeth", "emily", "emma", "eric", "frank",
	"fred", "gary", "gavin", "geoff", "geoffrey", "george", "gerry", "gordon", "graham", "greg", "harry",
	"helen", "henry", "hugh", "iain", "ian", "jack", "jackie", "jacques", "james", "jamie", "jane",
	"janet", "jason", "jean", "jeff", "jennifer", "jeremy", "jerry", "jim", "jimmy", "jo", "joan",
	"joe", "john", "johnny", "jon", "jonathan", "jose", "joseph", "julia", "julie", "justin", "karen",
	"kate", "keith", "ken", "kenneth", "kevin", "kim", "lee", "linda", "lisa", "liz", "louis", "lucy",
	"luis", "malcolm", "marco", "margaret", "maria", "mark", "martin", "mary", "matt", "matthew",
	"michael", "michel", "michelle", "mick", "mike", "neil", "nick", "nicholas", "nicola", "nigel",
	"oliver", "owen", "pat", "patricia", "patrick", "paul", "paula", "pete", "peter", "phil", "philip",
	"pierre", "ralph", "ray", "richard", "rick", "rob", "robert", "robbie", "roger", "ron", "ronald",
	"rory", "ross", "roy", "ruth", "ryan", "sally", "sam", "samuel", "sandra", "sarah", "scott", "sean",
	"serena", "simon", "sophie", "stephen", "steve", "steven", "stuart", "sue", "susan", "terry",
	"thomas", "tim", "timothy", "tom", "tommy", "tony", "tracy", "trevor", "victoria", "vincent",
	"walter", "wayne", "william", "willie", "yvonne",
)

// places are countries, regions and cities a question may name.
var places = set(
	"afghanistan", "africa", "albania", "algeria", "america", "argentina", "armenia", "asia",
	"australia", "austria", "bangladesh", "belgium", "bolivia", "bosnia", "brazil", "britain",
	"bulgaria", "cambodia", "cameroon", "canada", "chile", "china", "colombia", "croatia", "cuba",
	"cyprus", "denmark", "egypt", "england", "estonia", "ethiopia", "europe", "finland", "france",
	"georgia", "germany", "ghana", "greece", "holland", "hungary", "iceland", "india", "indonesia",
	"iran", "iraq", "ireland", "israel", "italy", "jamaica", "japan", "jordan", "kazakhstan", "kenya",
	"korea", "kuwait", "latvia", "lebanon", "libya", "lithuania", "malaysia", "mexico", "morocco",
	"nepal", "netherlands", "nigeria", "norway", "pakistan", "peru", "philippines", "poland",
	"portugal", "romania", "russia", "scotland", "serbia", "singapore", "slovakia", "slovenia",
	"somalia", "spain", "sudan", "sweden", "switzerland", "syria", "taiwan", "thailand", "turkey",
	"uganda", "ukraine", "uruguay", "venezuela", "vietnam", "wales", "zimbabwe", "london", "paris",
	"berlin", "madrid", "rome", "tokyo", "beijing", "moscow", "new york", "washington", "los angeles",
	"sydney", "dublin", "edinburgh", "glasgow", "cardiff", "belfast", "manchester", "birmingham",
	"liverpool", "leeds", "brussels", "amsterdam", "hong kong", "shanghai", "mumbai", "delhi",
	"california", "texas", "florida", "cornwall", "yorkshire", "kent", "oxford", "cambridge",
	"nairobi", "baghdad", "tehran", "kabul", "istanbul", "athens", "lisbon", "vienna", "prague",
	"warsaw", "budapest", "stockholm", "oslo", "copenhagen", "helsinki", "geneva", "zurich",
	"milan", "barcelona", "munich", "frankfurt", "seoul", "bangkok", "jakarta", "manila", "cairo",
	"lagos", "johannesburg", "cape town", "toronto", "chicago", "boston", "san francisco", "seattle",
	"taipei", "hyderabad", "kolkata", "dubai", "doha", "riyadh", "karachi", "lahore", "wellington",
	"auckland", "melbourne", "perth", "brisbane",
)

// maleFirstNames, femaleFirstNames and fakeSurnames make people for off-corpus questions;
// a surname is used only when the corpus never has it.
var maleFirstNames = []string{"daniel", "marcus", "tobias", "callum", "rafael", "oskar", "declan",
	"hamish", "lukas", "mateo", "stefan", "ewan", "joaquin", "dmitri", "tariq", "gareth", "nikolai",
	"ruairi", "anders", "kwame"}

var femaleFirstNames = []string{"sarah", "elena", "priya", "ingrid", "niamh", "leila", "marta",
	"yasmin", "freya", "orla", "anika", "camille", "maeve", "rosalind", "helga", "imogen", "ayesha",
	"katrin", "siobhan", "lucia"}

var fakeSurnames = []string{"abernathy", "achterberg", "adeyemi", "alvarado", "amundsen",
	"arceneaux", "balodis", "bergqvist", "brannigan", "castellano", "cheverton", "dalgliesh-orr",
	"delacroix-hale", "ekwueme", "fairbrother", "falkenrath", "gallagher-rowe", "haldorsen",
	"hawkridge", "ilunga", "jankowiak", "kettleborough", "kowalczuk", "lindqvist", "macquarrie",
	"marchetti", "mbatha", "nakagawa", "nwachukwu", "oyelaran", "pemberton-hyde", "quennell",
	"radcliffe-moss", "rasmussen-lee", "saarinen", "strathdee", "takahara", "thorvaldsen",
	"trevelyan-cole", "uzoma", "valderrama-kent", "vandermolen", "wetherall", "winterbourne",
	"yilmazer", "zebrowski", "okonjo", "ferreira-lind", "halloran-price", "brightside"}

// fakeCompanyHeads and companyTails make companies for off-corpus
// questions; a head is used only when the corpus never has it.
var fakeCompanyHeads = []string{"norbridge", "halvorsen", "kestrelline", "quillon", "veltrano",
	"brightwell", "corvanta", "tremaine", "ashgrove", "lumira", "caldera", "oxmoor", "stanwick",
	"ravenholt", "zentara", "pelmark", "truvex", "orinoco", "maltby", "fernhill", "solvane",
	"drayfield", "kinvara", "altamira", "bexford", "cresswell", "denholm", "elvaston", "glenmoor",
	"harrowgate"}

var companyTails = []string{"group", "holdings", "industries", "corporation", "plc"}

// absentPlaces are real places a question may be moved to; one is used
// only when the corpus never names it.
var absentPlaces = []string{"ouagadougou", "tegucigalpa", "paramaribo", "ulaanbaatar", "thimphu",
	"vientiane", "bishkek", "asuncion", "nouakchott", "windhoek", "lilongwe", "yerevan", "chisinau",
	"podgorica", "tallinn", "valparaiso", "cusco", "guayaquil", "maracaibo", "cebu", "surabaya",
	"chittagong", "mandalay", "samarkand", "bukhara", "tromso", "aarhus", "tampere", "brno", "cluj",
	"plovdiv", "izmir", "pune", "nagpur", "mysore", "sapporo", "fukuoka", "busan", "daegu",
	"kaohsiung", "xiamen", "chengdu", "harbin", "kunming", "hobart", "cairns", "dunedin", "suva",
	"apia", "luang prabang", "kuching", "davao", "arequipa", "cochabamba", "rosario", "cordoba"}

// absentCountries replace a country in a question; one is used only when
// the corpus never names it.
var absentCountries = []string{"bhutan", "suriname", "paraguay", "laos", "kyrgyzstan", "tajikistan",
	"turkmenistan", "mauritania", "namibia", "malawi", "burundi", "eritrea", "djibouti", "gabon",
	"benin", "togo", "guyana", "belize", "honduras", "nicaragua", "andorra", "liechtenstein",
	"moldova", "montenegro", "brunei", "tonga", "samoa", "vanuatu", "lesotho", "botswana"}

// eventTemplate asks about a recurring event in a given year.
type eventTemplate struct {
	forms           []string // "{y}" is the year
	keys            []string // words a corpus answer would hold with the year
	from, every, to int
}

func (t eventTemplate) years(y int) bool {
	return y >= t.from && y <= t.to && (y-t.from)%t.every == 0
}

// eventTemplates are well-known events after 2005.
var eventTemplates = []eventTemplate{
	{[]string{"who won the {y} world cup?", "who won the world cup in {y}?", "which country won the {y} football world cup?"}, []string{"cup"}, 2010, 4, 2022},
	{[]string{"who won the {y} rugby world cup?", "who lifted the rugby world cup in {y}?"}, []string{"rugby"}, 2007, 4, 2023},
	{[]string{"who won euro {y}?", "who won the european championship in {y}?"}, []string{"euro", "championship"}, 2008, 4, 2016},
	{[]string{"who won the champions league final in {y}?", "which club won the {y} champions league?"}, []string{"champions"}, 2009, 1, 2023},
	{[]string{"who won the men's singles at wimbledon in {y}?", "who was wimbledon champion in {y}?"}, []string{"wimbledon"}, 2009, 1, 2023},
	{[]string{"who won the super bowl in {y}?", "which team won super bowl {y}?"}, []string{"bowl"}, 2009, 1, 2023},
	{[]string{"who won the tour de france in {y}?"}, []string{"tour"}, 2009, 1, 2023},
	{[]string{"who won eurovision in {y}?", "which country won the {y} eurovision song contest?"}, []string{"eurovision"}, 2009, 1, 2023},
	{[]string{"who won the x factor in {y}?", "who was the {y} x factor winner?"}, []string{"factor"}, 2009, 1, 2018},
	{[]string{"what won best picture at the {y} oscars?", "which film won the best picture oscar in {y}?"}, []string{"oscar", "oscars", "picture"}, 2009, 1, 2023},
	{[]string{"who won the booker prize in {y}?"}, []string{"booker"}, 2009, 1, 2023},
	{[]string{"who won the ballon d'or in {y}?"}, []string{"ballon"}, 2009, 1, 2023},
	{[]string{"who was bbc sports personality of the year in {y}?"}, []string{"personality"}, 2009, 1, 2023},
	{[]string{"who won the six nations in {y}?", "which team won the {y} six nations?"}, []string{"nations"}, 2009, 1, 2023},
	{[]string{"who won the premier league in {y}?", "which club were premier league champions in {y}?"}, []string{"premiership", "league"}, 2009, 1, 2023},
	{[]string{"who won the fa cup final in {y}?"}, []string{"cup"}, 2009, 1, 2023},
	{[]string{"who won the grand national in {y}?"}, []string{"national"}, 2009, 1, 2023},
	{[]string{"who won the nobel peace prize in {y}?"}, []string{"nobel"}, 2009, 1, 2023},
	{[]string{"who won the f1 world championship in {y}?", "who was formula one champion in {y}?"}, []string{"formula", "championship"}, 2009, 1, 2023},
	{[]string{"where were the {y} olympics held?", "which city hosted the {y} olympic games?"}, []string{"olympics", "olympic"}, 2012, 4, 2020},
	{[]string{"who won the {y} us presidential election?", "who became us president after the {y} election?"}, []string{"election", "president"}, 2008, 4, 2020},
	{[]string{"who became uk prime minister in {y}?", "who won the {y} uk general election?"}, []string{"minister", "election"}, 2010, 5, 2015},
	{[]string{"what was the uk inflation rate in {y}?", "how high was inflation in britain in {y}?"}, []string{"inflation"}, 2009, 1, 2023},
	{[]string{"what was the bank of england base rate in {y}?"}, []string{"rate", "rates"}, 2009, 1, 2023},
	{[]string{"how many albums did coldplay sell in {y}?"}, []string{"coldplay"}, 2009, 1, 2023},
	{[]string{"who won the london marathon in {y}?"}, []string{"marathon"}, 2009, 1, 2023},
	{[]string{"who won the mercury prize in {y}?"}, []string{"mercury"}, 2009, 1, 2023},
	{[]string{"how many people used broadband in the uk in {y}?"}, []string{"broadband"}, 2009, 1, 2023},
	{[]string{"what was the best-selling video game of {y}?"}, []string{"game", "games"}, 2009, 1, 2023},
}

// laterThing is a product or deal that came after the corpus; the phrase
// absent must not occur in it.
type laterThing struct {
	forms  []string
	absent string
}

var laterThings = []laterThing{
	{[]string{"when did apple bring out the first iphone?", "how much did the original iphone cost?"}, "iphone"},
	{[]string{"when did the nintendo wii come out in europe?", "how many wii consoles did nintendo sell?"}, "wii"},
	{[]string{"how much did google pay to buy youtube?", "when did google buy youtube?"}, "youtube"},
	{[]string{"how much did facebook pay for instagram?"}, "instagram"},
	{[]string{"how much did facebook pay for whatsapp?"}, "whatsapp"},
	{[]string{"when was twitter launched?", "who founded twitter?"}, "twitter"},
	{[]string{"when did the ipad come out?", "how many ipads did apple sell in the first year?"}, "ipad"},
	{[]string{"when did the playstation 4 come out?"}, "playstation 4"},
	{[]string{"when did netflix start streaming in the uk?"}, "netflix"},
	{[]string{"who founded uber?", "when did uber launch in london?"}, "uber"},
	{[]string{"when did spotify launch?", "how many subscribers does spotify have?"}, "spotify"},
	{[]string{"who bought linkedin and for how much?"}, "linkedin"},
	{[]string{"when did the kindle first go on sale?"}, "kindle"},
	{[]string{"what year did bitcoin start?", "who invented bitcoin?"}, "bitcoin"},
	{[]string{"when did android phones first go on sale?"}, "android"},
	{[]string{"how much did microsoft pay for minecraft?"}, "minecraft"},
	{[]string{"when did the london 2012 olympic stadium open?"}, "olympic stadium"},
	{[]string{"who won strictly come dancing in 2008?"}, "strictly come dancing"},
	{[]string{"when did the xbox one come out?"}, "xbox one"},
	{[]string{"when was instagram founded?"}, "instagram"},
}

// knowledgeTemplate is a general-knowledge question with a slot; keys are
// the words an answer would hold with the slot filler.
type knowledgeTemplate struct {
	forms []string // "{x}" is the slot
	slots []string
	keys  []string
}

var knowledgeTemplates = []knowledgeTemplate{
	{[]string{"what is the capital of {x}?", "capital of {x}?", "what's {x}'s capital city?"},
		[]string{"mongolia", "peru", "kazakhstan", "canada", "australia", "nigeria", "turkey", "brazil", "vietnam", "bolivia", "new zealand", "switzerland", "morocco", "finland", "chile", "malaysia", "kenya", "norway"},
		[]string{"capital"}},
	{[]string{"what is the boiling point of {x}?", "at what temperature does {x} boil?"},
		[]string{"water", "ethanol", "nitrogen", "oxygen", "helium", "mercury", "alcohol", "olive oil"}, []string{"boiling", "boil", "boils", "degrees"}},
	{[]string{"what is the melting point of {x}?", "at what temperature does {x} melt?"},
		[]string{"iron", "gold", "copper", "lead", "tin", "aluminium", "ice", "chocolate", "steel"}, []string{"melting", "melt", "melts", "degrees"}},
	{[]string{"how many legs does a {x} have?", "how many legs has a {x} got?"},
		[]string{"spider", "octopus", "crab", "ant", "centipede", "lobster", "beetle", "scorpion"}, []string{"legs", "leg"}},
	{[]string{"how many hearts does an {x} have?"}, []string{"octopus", "earthworm"}, []string{"hearts", "heart"}},
	{[]string{"what is the chemical symbol for {x}?", "what's the symbol for {x} on the periodic table?"},
		[]string{"gold", "silver", "iron", "sodium", "potassium", "lead", "tin", "mercury", "copper", "zinc", "tungsten"}, []string{"symbol", "chemical", "periodic"}},
	{[]string{"how tall is {x}?", "how high is {x}?"},
		[]string{"mount everest", "k2", "kilimanjaro", "ben nevis", "snowdon", "mont blanc", "mount fuji", "the matterhorn", "the eiffel tower", "big ben"}, []string{"metres", "feet", "tall", "high", "height"}},
	{[]string{"how far is {x} from the sun?"}, []string{"mars", "venus", "jupiter", "saturn", "neptune", "uranus"}, []string{"sun", "miles", "kilometres"}},
	{[]string{"who painted {x}?"}, []string{"the mona lisa", "the starry night", "the last supper", "guernica", "the scream", "the night watch", "the sunflowers", "the birth of venus"}, []string{"painted", "painter", "painting", "artist"}},
	{[]string{"who wrote {x}?", "who was the author of {x}?"}, []string{"war and peace", "moby dick", "great expectations", "jane eyre", "wuthering heights", "the great gatsby", "to kill a mockingbird", "crime and punishment", "don quixote", "middlemarch", "the canterbury tales"}, []string{"wrote", "writer", "author", "novel", "written"}},
	{[]string{"what language do people speak in {x}?", "what's the main language in {x}?"}, []string{"brazil", "austria", "belgium", "iran", "argentina", "ethiopia", "angola", "suriname", "mozambique"}, []string{"language", "languages", "speak", "spoken"}},
	{[]string{"what currency does {x} use?", "what's the currency in {x}?"}, []string{"thailand", "poland", "denmark", "hungary", "brazil", "egypt", "vietnam", "peru", "kenya"}, []string{"currency"}},
	{[]string{"what is the population of {x}?", "how many people live in {x}?"}, []string{"lagos", "karachi", "jakarta", "lima", "bogota", "nairobi", "reykjavik", "oslo", "montevideo"}, []string{"population", "live", "inhabitants", "residents"}},
	{[]string{"how many bones are in the human {x}?", "how many bones has a human {x} got?"}, []string{"hand", "foot", "skull", "spine", "body"}, []string{"bones", "bone"}},
	{[]string{"who invented the {x}?", "when was the {x} invented?"}, []string{"telephone", "light bulb", "steam engine", "printing press", "jet engine", "thermometer", "microscope", "telescope", "bicycle"}, []string{"invented", "inventor", "invention"}},
	{[]string{"what is the speed of {x}?", "how fast does {x} travel?"}, []string{"light", "sound"}, []string{"speed", "travels", "per second"}},
	{[]string{"when did {x} happen?", "what year was {x}?"}, []string{"the battle of hastings", "the great fire of london", "the first moon landing", "the storming of the bastille", "the wall street crash"}, []string{"happened", "year", "took place"}},
	{[]string{"how many {x} are there in a mile?", "how many {x} in a mile?"}, []string{"feet", "yards", "metres", "inches"}, []string{"mile", "miles"}},
	{[]string{"what is the largest {x} in the world?", "which is the biggest {x} on earth?"}, []string{"desert", "ocean", "rainforest", "lake", "volcano", "glacier"}, []string{"largest", "biggest", "world"}},
	{[]string{"what is the square root of {x}?"}, []string{"144", "169", "196", "225", "289", "361", "441"}, []string{"root", "square"}},
}

// mixTemplate is a question built from common words; its slots name lists
// in mixLists.
type mixTemplate struct {
	form  string
	slots []string
}

var mixTemplates = []mixTemplate{
	{"why did the {agent} {verb} the {person}?", []string{"agent", "verb", "person"}},
	{"when did the {agent} {verb} the {person}?", []string{"agent", "verb", "person"}},
	{"how much did the {agent} pay the {person} for the {thing}?", []string{"agent", "person", "thing"}},
	{"what did the {agent} say about the {person}'s {thing}?", []string{"agent", "person", "thing"}},
	{"how many {things} did the {maker} {thingverb}?", []string{"things", "maker", "thingverb"}},
	{"which {agent} {verbed} the {person} over the {thing}?", []string{"agent", "verbed", "person", "thing"}},
	{"who {verbed} the {person} after the {thing} row?", []string{"verbed", "person", "thing"}},
	{"why is the {agent} suing the {person}?", []string{"agent", "person"}},
	{"how long was the {person} banned for after the {thing} incident?", []string{"person", "thing"}},
	{"what did the {person} tell the {agent} about the {thing}?", []string{"person", "agent", "thing"}},
}

// mixLists are common corpus words by role in mixTemplates. Verbs are
// given in the form the template uses; mixLemma gives their base form.
var mixLists = map[string][]string{
	"agent": {"bank", "minister", "band", "studio", "council", "regulator", "airline", "club",
		"police", "union", "broadcaster", "retailer", "watchdog", "label", "charity", "newspaper",
		"university", "hospital", "court", "committee", "orchestra", "supermarket", "carmaker",
		"publisher", "insurer", "museum", "army", "church", "government", "network"},
	"maker": {"government", "council", "retailer", "supermarket", "carmaker", "airline", "army",
		"network", "regulator", "ministry", "navy", "railway", "conglomerate"},
	"person": {"goalkeeper", "singer", "chancellor", "referee", "drummer", "nurse", "pilot",
		"teacher", "chef", "jockey", "bishop", "farmer", "lawyer", "student", "striker", "actress",
		"novelist", "comedian", "guitarist", "rapper", "priest", "soldier", "surgeon", "judge",
		"footballer", "sprinter", "presenter", "designer", "architect", "banker"},
	"thing": {"album", "stadium", "budget", "website", "phone", "film", "pension", "contract",
		"software", "factory", "loan", "festival", "vaccine", "tournament", "helicopter", "satellite",
		"prison", "bridge", "railway", "merger", "trophy", "novel", "painting", "ticket", "laptop",
		"console", "airport", "mortgage", "tractor", "submarine"},
	"verb": {"sack", "sue", "fine", "ban", "sign", "criticise", "back", "reject", "blame", "hire",
		"praise", "warn", "suspend", "thank", "arrest", "invite"},
	"verbed": {"sacked", "sued", "fined", "banned", "signed", "criticised", "backed", "hired",
		"praised", "warned", "suspended", "arrested", "rejected", "blamed", "thanked", "invited"},
}

// thingVerbs are the verbs that make sense with each thing in "how many
// {things} did the {agent} {thingverb}".
var thingVerbs = map[string][]string{
	"album": {"sell", "release"}, "stadium": {"build"}, "website": {"close", "launch"},
	"phone": {"sell", "recall"}, "film": {"release", "ban"}, "contract": {"cancel", "sign"},
	"factory": {"close", "build"}, "loan": {"cancel"}, "festival": {"cancel"},
	"vaccine": {"order"}, "tournament": {"cancel"}, "helicopter": {"buy", "order"},
	"satellite": {"launch"}, "prison": {"build", "close"}, "bridge": {"build"}, "railway": {"build"},
	"merger": {"block"}, "trophy": {"win"}, "novel": {"sell", "publish"}, "painting": {"sell", "buy"},
	"ticket": {"sell"}, "laptop": {"sell", "recall"}, "console": {"sell"}, "airport": {"build"},
	"mortgage": {"approve"}, "tractor": {"buy", "sell"}, "submarine": {"order", "build"},
	"budget": {"cut"}, "pension": {"cut"}, "software": {"sell"},
}

var mixLemma = map[string]string{
	"sack": "sack", "sue": "sue", "fine": "fine", "ban": "ban", "sign": "sign", "criticise": "criticise",
	"back": "back", "reject": "reject", "blame": "blame", "hire": "hire", "praise": "praise",
	"warn": "warn", "suspend": "suspend", "thank": "thank", "arrest": "arrest", "invite": "invite",
	"sacked": "sack", "sued": "sue", "fined": "fine", "banned": "ban", "signed": "sign",
	"criticised": "criticise", "backed": "back", "hired": "hire", "praised": "praise",
	"warned": "warn", "suspended": "suspend", "arrested": "arrest", "rejected": "reject",
	"blamed": "blame", "thanked": "thank", "invited": "invite", "buy": "buy", "sell": "sell",
	"build": "build", "close": "close", "launch": "launch", "cancel": "cancel", "recall": "recall",
	"order": "order", "rent": "rent", "release": "release", "block": "block", "win": "win",
	"publish": "publish", "approve": "approve", "cut": "cut",
}

// cities are the places a name swap may replace (with an absent city).
var cities = set("london", "paris", "berlin", "madrid", "rome", "tokyo", "beijing", "moscow",
	"new york", "washington", "los angeles", "sydney", "dublin", "edinburgh", "glasgow", "cardiff",
	"belfast", "manchester", "birmingham", "liverpool", "leeds", "brussels", "amsterdam",
	"hong kong", "shanghai", "mumbai", "delhi", "nairobi", "baghdad", "tehran", "kabul", "istanbul",
	"athens", "lisbon", "vienna", "prague", "warsaw", "budapest", "stockholm", "oslo", "copenhagen",
	"helsinki", "geneva", "zurich", "milan", "barcelona", "munich", "frankfurt", "seoul", "bangkok",
	"jakarta", "manila", "cairo", "lagos", "johannesburg", "cape town", "toronto", "chicago",
	"boston", "san francisco", "seattle", "taipei", "hyderabad", "kolkata", "dubai", "doha",
	"riyadh", "karachi", "lahore", "wellington", "auckland", "melbourne", "perth", "brisbane")
