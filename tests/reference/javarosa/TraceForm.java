// Reference traces from JavaRosa, ODK's form engine, for fieldsurvey's conformance tests.
//
// Usage (see generate.sh): java -cp ODK_Validate.jar:. TraceForm FORM.xml SCRIPT.tsv
//
// Walks the form as ODK Collect does (FormEntryController), answering from the script and
// printing one line per event:
//   ask KEY                      a question is shown (KEY as fieldsurvey writes it: name[i])
//   choices KEY c1 c2 ...        the choices offered at a select (after choice_filter)
//   answer KEY VALUE ok|constraint|required   the scripted answer and whether it was taken
//   repeat NAME[parent] add|done the "add another?" prompt of a repeat
//   value KEY VALUE              at the end, every relevant non-empty leaf of the instance
// With a third argument --labels, also (after each ask/choices line) the texts as shown, in
// every language of the form (the language "" when the form has none):
//   label KEY LANG TEXT          the question's label, ${x} (<output>) filled in
//   choice KEY LANG VALUE TEXT   each offered choice's label, ${x} filled in
// Script lines (tab-separated): "answer KEY VALUE" or "count REPEAT[parent] N" (instances
// wanted; a repeat without count in the form starts with one, as Collect shows it).
// Java is not a test dependency: the traces are committed and the tests read them.

import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.javarosa.core.model.FormDef;
import org.javarosa.core.model.SelectChoice;
import org.javarosa.core.model.data.DateData;
import org.javarosa.core.model.data.DecimalData;
import org.javarosa.core.model.data.IAnswerData;
import org.javarosa.core.model.data.IntegerData;
import org.javarosa.core.model.data.SelectMultiData;
import org.javarosa.core.model.data.SelectOneData;
import org.javarosa.core.model.data.StringData;
import org.javarosa.core.model.data.helper.Selection;
import org.javarosa.core.model.instance.InstanceInitializationFactory;
import org.javarosa.core.model.instance.TreeElement;
import org.javarosa.core.model.instance.TreeReference;
import org.javarosa.core.model.Constants;
import org.javarosa.form.api.FormEntryController;
import org.javarosa.form.api.FormEntryModel;
import org.javarosa.form.api.FormEntryPrompt;
import org.javarosa.xform.util.XFormUtils;

public class TraceForm {
    static Map<String, String> answers = new HashMap<>();
    static Map<String, Integer> counts = new HashMap<>();

    static String key(TreeReference ref, boolean isRepeatPrompt) {
        // /data/grp/roster[1]/pname -> pname[2] (1-based repeat instances)
        StringBuilder inst = new StringBuilder();
        int n = ref.size();
        String name = ref.getName(n - 1);
        for (int i = 0; i < n - 1; i++) {
            int mult = ref.getMultiplicity(i);
            if (mult >= 0 && isRepeat(ref, i)) inst.append("[").append(mult + 1).append("]");
        }
        return name + inst;
    }

    static FormDef form;

    static boolean isRepeat(TreeReference ref, int level) {
        TreeReference sub = ref.getSubReference(level).genericize();
        TreeElement t = form.getMainInstance().getTemplatePath(sub);
        return t != null && t.isRepeatable();
    }

    /** Device properties (deviceid, phonenumber ...) as fieldsurvey's tests give them. */
    static class Props implements org.javarosa.core.services.IPropertyManager {
        public List<String> getProperty(String n) {
            String v = getSingularProperty(n);
            List<String> out = new ArrayList<>();
            if (v != null) out.add(v);
            return out;
        }
        public void setProperty(String n, String v) { }
        public void setProperty(String n, List<String> v) { }
        public String getSingularProperty(String n) {
            return n.equals("deviceid") || n.equals("uri:deviceid") ? "int01" : null;
        }
        public void addRules(org.javarosa.core.services.properties.IPropertyRules r) { }
        public List<org.javarosa.core.services.properties.IPropertyRules> getRules() {
            return new ArrayList<>();
        }
    }

    static boolean labels = false;

    /** The question's and its choices' labels in every language, outputs filled in. */
    static void printLabels(FormEntryPrompt prompt, String k, List<SelectChoice> choices) {
        org.javarosa.core.services.locale.Localizer loc = form.getLocalizer();
        String[] langs = loc == null ? new String[] {""} : loc.getAvailableLocales();
        String was = loc == null ? null : loc.getLocale();
        for (String lang : langs) {
            if (loc != null) loc.setLocale(lang);
            System.out.println("label\t" + k + "\t" + lang + "\t" + flat(prompt.getLongText()));
            if (choices == null) continue;
            for (SelectChoice c : choices) {
                System.out.println("choice\t" + k + "\t" + lang + "\t" + c.getValue() + "\t"
                    + flat(prompt.getSelectChoiceText(c)));
            }
        }
        if (loc != null && was != null) loc.setLocale(was);
    }

    static String flat(String s) {
        return s == null ? "" : s.replace("\t", " ").replace("\n", " ");
    }

    public static void main(String[] args) throws Exception {
        labels = args.length > 2 && args[2].equals("--labels");
        org.javarosa.core.services.PropertyManager.setPropertyManager(new Props());
        form = XFormUtils.getFormFromInputStream(new FileInputStream(args[0]));
        for (String line : Files.readAllLines(Paths.get(args[1]), StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] p = line.split("\t", 3);
            if (p[0].equals("answer")) answers.put(p[1], p.length > 2 ? p[2] : "");
            else if (p[0].equals("count")) counts.put(p[1], Integer.parseInt(p[2]));
        }
        FormEntryModel model = new FormEntryModel(form);
        FormEntryController fec = new FormEntryController(model);
        form.initialize(true, new InstanceInitializationFactory());
        int event = fec.stepToNextEvent();
        Map<String, Integer> added = new HashMap<>();
        while (event != FormEntryController.EVENT_END_OF_FORM) {
            if (event == FormEntryController.EVENT_QUESTION) {
                FormEntryPrompt prompt = model.getQuestionPrompt();
                String k = key(prompt.getIndex().getReference(), false);
                System.out.println("ask\t" + k);
                List<SelectChoice> choices = prompt.getSelectChoices();
                if (choices != null) {
                    StringBuilder sb = new StringBuilder("choices\t" + k);
                    for (SelectChoice c : choices) sb.append("\t").append(c.getValue());
                    System.out.println(sb);
                }
                if (labels) printLabels(prompt, k, choices);
                if (answers.containsKey(k)) {
                    String v = answers.get(k);
                    IAnswerData data = toData(prompt, v, choices);
                    int status = fec.answerQuestion(data, true);
                    String s = status == FormEntryController.ANSWER_OK ? "ok"
                        : status == FormEntryController.ANSWER_CONSTRAINT_VIOLATED ? "constraint"
                        : "required";
                    System.out.println("answer\t" + k + "\t" + v + "\t" + s);
                }
            } else if (event == FormEntryController.EVENT_PROMPT_NEW_REPEAT) {
                TreeReference ref = model.getFormIndex().getReference();
                String name = ref.getName(ref.size() - 1);
                StringBuilder parent = new StringBuilder();
                for (int i = 0; i < ref.size() - 1; i++) {
                    int mult = ref.getMultiplicity(i);
                    if (mult >= 0 && isRepeat(ref, i)) parent.append("[").append(mult + 1).append("]");
                }
                String rk = name + parent;
                // the form's repeat starts with one instance (as Collect shows it); add until
                // the script's count is reached
                int want = counts.getOrDefault(rk, 0);
                int have = added.getOrDefault(rk, 0) + 1;
                if (have < want) {
                    System.out.println("repeat\t" + rk + "\tadd");
                    fec.newRepeat();
                    added.put(rk, have);
                } else {
                    System.out.println("repeat\t" + rk + "\tdone");
                }
            }
            event = fec.stepToNextEvent();
        }
        List<String> out = new ArrayList<>();
        walk(form.getMainInstance().getRoot(), out);
        for (String s : out) System.out.println(s);
    }

    static void walk(TreeElement e, List<String> out) {
        if (!e.isRelevant()) return;
        if (e.getNumChildren() == 0) {
            IAnswerData v = e.getValue();
            String text = v == null ? "" : v.uncast().getString();  // the value as submitted
            if (!text.isEmpty()) {
                String k = key(e.getRef(), false);
                if (!k.equals("instanceID")) out.add("value\t" + k + "\t" + text);
            }
            return;
        }
        for (int i = 0; i < e.getNumChildren(); i++) {
            TreeElement c = e.getChildAt(i);
            if (c.getMultiplicity() == TreeReference.INDEX_TEMPLATE) continue;
            walk(c, out);
        }
    }

    static IAnswerData toData(FormEntryPrompt prompt, String v, List<SelectChoice> choices) {
        if (v.isEmpty()) return null;
        switch (prompt.getDataType()) {
            case Constants.DATATYPE_INTEGER: return new IntegerData(Integer.parseInt(v));
            case Constants.DATATYPE_DECIMAL: return new DecimalData(Double.parseDouble(v));
            case Constants.DATATYPE_DATE:
                return new DateData(java.sql.Date.valueOf(v));
            case Constants.DATATYPE_CHOICE: {
                for (SelectChoice c : choices) if (c.getValue().equals(v)) return new SelectOneData(new Selection(c));
                return new SelectOneData(new Selection(v));
            }
            case Constants.DATATYPE_CHOICE_LIST: {
                List<Selection> sel = new ArrayList<>();
                for (String part : v.split(" ")) {
                    SelectChoice hit = null;
                    for (SelectChoice c : choices) if (c.getValue().equals(part)) hit = c;
                    sel.add(hit != null ? new Selection(hit) : new Selection(part));
                }
                return new SelectMultiData(sel);
            }
            default: return new StringData(v);
        }
    }
}
