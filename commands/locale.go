package commands

import (
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Discord shows a command's name and description, and its options', in
// each user's language when the command carries them for it
// (name_localizations, description_localizations); English is the
// default. French and German are here, as the proof that the other
// locales are only more rows of the table. The chat commands' names follow
// Discord's rule for them (lower case, no spaces, at most 32 characters,
// unique among the commands, and the options' among a command's options,
// in each locale: the fake refuses others at registration, as Discord
// does); the context-menu command's may have capitals and spaces. A test
// keeps every command and option translated.

// locales are the languages the commands are translated into.
var locales = []discordgo.Locale{discordgo.French, discordgo.German}

// localised is a name and a description in one language. In a
// description, {files} stands for the file types /ingest reads.
type localised struct{ name, description string }

// translations are keyed by command ("ask") or command and option ("ask
// question"), then locale.
var translations = map[string]map[discordgo.Locale]localised{
	"ask": {
		discordgo.French: {"demander", "Poser une question sur les articles de presse ; la réponse cite ses sources"},
		discordgo.German: {"fragen", "Eine Frage zu den Nachrichtenartikeln stellen; die Antwort nennt ihre Quellen"},
	},
	"ask question": {
		discordgo.French: {"question", "Ce que vous voulez savoir, p. ex. L’Iran autorisera-t-il l’inspection de ses sites militaires ?"},
		discordgo.German: {"frage", "Was Sie wissen möchten, z. B. Wird Iran Inspektionen seiner Militäranlagen erlauben?"},
	},
	"ask private": {
		discordgo.French: {"privé", "Une réponse que vous seul voyez, avec un bouton pour la partager"},
		discordgo.German: {"privat", "Eine Antwort, die nur Sie sehen, mit einer Schaltfläche zum Teilen"},
	},
	"source": {
		discordgo.French: {"source", "Les passages d’articles les plus proches d’une requête, pour vérifier une affirmation"},
		discordgo.German: {"quelle", "Die Artikelpassagen, die am besten zu einer Suche passen, um eine Behauptung zu prüfen"},
	},
	"source query": {
		discordgo.French: {"requête", "Les mots à chercher, p. ex. missiles sanctions"},
		discordgo.German: {"suche", "Die gesuchten Wörter, z. B. Raketen Sanktionen"},
	},
	"source count": {
		discordgo.French: {"nombre", "Combien de passages (1-10, 5 par défaut)"},
		discordgo.German: {"anzahl", "Wie viele Passagen (1-10, Standard 5)"},
	},
	"source outlet": {
		discordgo.French: {"média", "Seulement les passages de ce média"},
		discordgo.German: {"medium", "Nur Passagen dieses Mediums"},
	},
	"source from": {
		discordgo.French: {"du", "Seulement les passages publiés à partir de ce jour, mois ou an : 2017-07-29, 2017-07 ou 2017"},
		discordgo.German: {"von", "Nur Passagen ab diesem Tag, Monat oder Jahr: 2017-07-29, 2017-07 oder 2017"},
	},
	"source to": {
		discordgo.French: {"au", "Seulement les passages publiés jusqu’à ce jour, mois ou an : 2017-07-29, 2017-07 ou 2017"},
		discordgo.German: {"bis", "Nur Passagen bis zu diesem Tag, Monat oder Jahr: 2017-07-29, 2017-07 oder 2017"},
	},
	"articles": {
		discordgo.French: {"articles", "Lister les articles indexés, du plus récent au plus ancien"},
		discordgo.German: {"artikel", "Die indexierten Artikel auflisten, neueste zuerst"},
	},
	"articles search": {
		discordgo.French: {"recherche", "Seulement les articles dont le titre ou le média contient ces mots"},
		discordgo.German: {"suche", "Nur Artikel, deren Titel oder Medium diese Wörter enthält"},
	},
	"articles outlet": {
		discordgo.French: {"média", "Seulement les articles de ce média"},
		discordgo.German: {"medium", "Nur Artikel dieses Mediums"},
	},
	"articles from": {
		discordgo.French: {"du", "Seulement les articles publiés à partir de ce jour, mois ou an : 2017-07-29, 2017-07 ou 2017"},
		discordgo.German: {"von", "Nur Artikel ab diesem Tag, Monat oder Jahr: 2017-07-29, 2017-07 oder 2017"},
	},
	"articles to": {
		discordgo.French: {"au", "Seulement les articles publiés jusqu’à ce jour, mois ou an : 2017-07-29, 2017-07 ou 2017"},
		discordgo.German: {"bis", "Nur Artikel bis zu diesem Tag, Monat oder Jahr: 2017-07-29, 2017-07 oder 2017"},
	},
	"help": {
		discordgo.French: {"aide", "Ce que sait le bot et comment l’interroger"},
		discordgo.German: {"hilfe", "Was der Bot weiß und wie man ihn fragt"},
	},
	"reindex": {
		discordgo.French: {"réindexer", "Admins : relire le dossier des articles et mettre l’index à jour"},
		discordgo.German: {"neu-indexieren", "Admins: den Artikelordner neu einlesen und den Index aktualisieren"},
	},
	"ingest": {
		discordgo.French: {"ajouter", "Admins : ajouter un article depuis un fichier ou une page web, et l’indexer"},
		discordgo.German: {"hinzufügen", "Admins: einen Artikel aus einer Datei oder Webseite hinzufügen und indexieren"},
	},
	"ingest file": {
		discordgo.French: {"fichier", "Un fichier d’article : {files}"},
		discordgo.German: {"datei", "Eine Artikeldatei: {files}"},
	},
	"ingest url": {
		discordgo.French: {"url", "L’adresse d’une page web qui contient l’article"},
		discordgo.German: {"url", "Die Adresse einer Webseite mit dem Artikel"},
	},
	"remove": {
		discordgo.French: {"retirer", "Admins : retirer un article du corpus"},
		discordgo.German: {"entfernen", "Admins: einen Artikel aus dem Korpus entfernen"},
	},
	"remove article": {
		discordgo.French: {"article", "L’ID de l’article, ou un fichier pour en retirer tous les articles (comme /articles les montre)"},
		discordgo.German: {"artikel", "Die ID des Artikels oder eine Datei, um alle ihre Artikel zu entfernen (wie /articles sie zeigt)"},
	},
	checkCommandName: {
		discordgo.French: {name: "Vérifier dans les articles"},
		discordgo.German: {name: "In den Artikeln prüfen"},
	},
}

// listConjunction is "and" in each locale, for lists in descriptions.
var listConjunction = map[discordgo.Locale]string{discordgo.French: "et", discordgo.German: "und"}

// localise gives def and its options the names and descriptions of
// translations; extensions are the file types /ingest reads.
func localise(def *discordgo.ApplicationCommand, extensions []string) {
	files := func(loc discordgo.Locale, s string) string {
		if !strings.Contains(s, "{files}") {
			return s
		}
		return strings.ReplaceAll(s, "{files}", listWordsWith(extensions, listConjunction[loc]))
	}
	if tr, ok := translations[def.Name]; ok {
		names := map[discordgo.Locale]string{}
		descs := map[discordgo.Locale]string{}
		for _, loc := range locales {
			if l, ok := tr[loc]; ok {
				names[loc] = l.name
				if l.description != "" {
					descs[loc] = files(loc, l.description)
				}
			}
		}
		def.NameLocalizations = &names
		if len(descs) > 0 {
			def.DescriptionLocalizations = &descs
		}
	}
	for _, o := range def.Options {
		tr, ok := translations[def.Name+" "+o.Name]
		if !ok {
			continue
		}
		o.NameLocalizations = map[discordgo.Locale]string{}
		o.DescriptionLocalizations = map[discordgo.Locale]string{}
		for _, loc := range locales {
			if l, ok := tr[loc]; ok {
				o.NameLocalizations[loc] = l.name
				o.DescriptionLocalizations[loc] = files(loc, l.description)
			}
		}
	}
}

// optionLabel is the name of a command's option as the user of i sees it
// in their client, for messages that name it.
func optionLabel(i *discordgo.Interaction, option string) string {
	command := ""
	if i.Type == discordgo.InteractionApplicationCommand || i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		command = i.ApplicationCommandData().Name
	}
	if l, ok := translations[command+" "+option][i.Locale]; ok {
		return l.name
	}
	return option
}

// listWordsWith names items in prose with the conjunction and ("and" when
// empty): "a, b and c".
func listWordsWith(items []string, and string) string {
	if and == "" || and == "and" {
		return listWords(items)
	}
	if len(items) < 2 {
		return listWords(items)
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + and + " " + items[len(items)-1]
}
